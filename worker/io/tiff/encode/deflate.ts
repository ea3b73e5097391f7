import { deflate } from "node:zlib";

/**
 * zlib-wrapped Deflate (TIFF compression 8) on libuv's thread pool, so several tiles compress at once.
 * Same input + same level ⇒ same bytes (for one zlib build).
 */
export function deflateAsync(input: Uint8Array, level: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    deflate(input, { level }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}
