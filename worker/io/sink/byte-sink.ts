/**
 * Where finished bytes go, written strictly in order. Nothing is visible at the destination until
 * `close()` resolves; `abort()` leaves nothing behind (no object, no file, no temporary file).
 * A chunk may be reused by the caller once `write` resolves.
 */
export interface ByteSink {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}
