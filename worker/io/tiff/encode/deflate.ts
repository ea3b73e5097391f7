import { deflate } from "node:zlib";

/**
 * zlib-wrapped Deflate (TIFF compression 8) on libuv's thread pool, so several tiles compress at once.
 * Same input + same level ⇒ same bytes (for one zlib build). Output chunks of a quarter of the input
 * (most tiles compress into one) save the thread-pool round trip per default 16 KiB chunk.
 */
export function deflateAsync(input: Uint8Array, level: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    deflate(input, { level, chunkSize: Math.max(16384, input.length >> 2) }, (error, result) =>
      error ? reject(error) : resolve(result),
    );
  });
}
