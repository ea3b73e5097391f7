import type { Codec } from "./codec.ts";

export const none: Codec = {
  name: "none",
  decode: (input) => input,
};
