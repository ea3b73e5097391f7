import type { Codec } from "./codec.ts";

const CLEAR = 256;
const EOI = 257;
const MAX_CODES = 4096;

/**
 * TIFF LZW (compression 5): MSB-first codes of 9..12 bits with the "early change" that libtiff
 * writes. Strings are written backwards from their prefix chain straight into the output, so the
 * loop allocates nothing per code.
 */
export const lzw: Codec = {
  name: "lzw",
  decode(input, expectedBytes) {
    const out = new Uint8Array(expectedBytes);
    const prefix = new Uint16Array(MAX_CODES);
    const suffix = new Uint8Array(MAX_CODES);
    const first = new Uint8Array(MAX_CODES);
    const lengths = new Uint16Array(MAX_CODES);
    for (let c = 0; c < 256; c++) {
      suffix[c] = c;
      first[c] = c;
      lengths[c] = 1;
    }
    const n = input.length;
    const totalBits = n * 8;
    let next = 258;
    let width = 9;
    let bit = 0;
    let o = 0;
    let old = -1;
    while (bit + width <= totalBits && o < expectedBytes) {
      const byte = bit >>> 3;
      const window =
        (input[byte]! << 16) |
        ((byte + 1 < n ? input[byte + 1]! : 0) << 8) |
        (byte + 2 < n ? input[byte + 2]! : 0);
      const code = (window >>> (24 - (bit & 7) - width)) & ((1 << width) - 1);
      bit += width;
      if (code === EOI) break;
      if (code === CLEAR) {
        next = 258;
        width = 9;
        old = -1;
        continue;
      }
      if (old === -1) {
        if (code > 255) throw new Error(`LZW: code ${code} right after a clear code`);
        out[o++] = code;
        old = code;
        continue;
      }
      if (code > next) throw new Error(`LZW: code ${code} beyond the table (${next})`);
      if (next < MAX_CODES) {
        prefix[next] = old;
        suffix[next] = code === next ? first[old]! : first[code]!;
        first[next] = first[old]!;
        lengths[next] = lengths[old]! + 1;
        next++;
      }
      const len = lengths[code]!;
      let c = code;
      for (let p = o + len - 1; p >= o; p--) {
        if (p < expectedBytes) out[p] = suffix[c]!;
        c = prefix[c]!;
      }
      o += len;
      old = code;
      if (next + 1 >= 1 << width && width < 12) width++;
    }
    return o >= expectedBytes ? out : out.subarray(0, o);
  },
};
