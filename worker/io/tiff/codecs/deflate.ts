import { inflate } from "node:zlib";
import type { Codec } from "./codec.ts";

/**
 * zlib streams (TIFF compression 8 and 32946). node:zlib's async inflate runs on libuv's thread pool,
 * so the blocks of one read decompress in parallel on every core. A chunk as large as the block
 * makes zlib write straight into one buffer instead of concatenating 16 KiB pieces.
 */
export const deflate: Codec = {
  name: "deflate",
  decode: (input, expectedBytes) =>
    new Promise((resolve, reject) => {
      inflate(input, { chunkSize: Math.max(64, expectedBytes + 1) }, (error, out) => {
        if (error) reject(error);
        else resolve(new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
      });
    }),
};
