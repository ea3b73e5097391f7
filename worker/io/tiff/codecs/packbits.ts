import type { Codec } from "./codec.ts";

/** Apple PackBits run-length coding (TIFF compression 32773). */
export const packbits: Codec = {
  name: "packbits",
  decode(input, expectedBytes) {
    const out = new Uint8Array(expectedBytes);
    let i = 0;
    let o = 0;
    while (i < input.length && o < expectedBytes) {
      const n = (input[i++]! << 24) >> 24; // signed header byte
      if (n >= 0) {
        const end = Math.min(i + n + 1, input.length);
        const chunk = input.subarray(i, Math.min(end, i + expectedBytes - o));
        out.set(chunk, o);
        o += chunk.length;
        i = end;
      } else if (n !== -128) {
        const count = Math.min(1 - n, expectedBytes - o);
        out.fill(input[i++] ?? 0, o, o + count);
        o += count;
      }
    }
    return o === expectedBytes ? out : out.subarray(0, o);
  },
};
