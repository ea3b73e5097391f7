import type { Codec } from "./codec.ts";
import { deflate } from "./deflate.ts";
import { lzw } from "./lzw.ts";
import { none } from "./none.ts";
import { packbits } from "./packbits.ts";

/** The decoders imagechain reads, by TIFF Compression tag value. */
export const CODECS: ReadonlyMap<number, Codec> = new Map([
  [1, none],
  [5, lzw],
  [8, deflate],
  [32946, deflate],
  [32773, packbits],
]);
