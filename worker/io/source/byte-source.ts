import { IoError } from "../errors.ts";

/** Random access to the bytes of one object (a file, an S3 object, an HTTP resource). */
export interface ByteRange {
  readonly offset: number;
  readonly length: number;
}

export interface ByteSource {
  readonly uri: string;
  /** Total size in bytes. */
  size(signal?: AbortSignal): Promise<number>;
  /** The bytes of each range, in order; a range past the end is an IoError "corrupt". */
  read(ranges: readonly ByteRange[], signal?: AbortSignal): Promise<Uint8Array[]>;
  /** Release handles; the source must not be read afterwards. */
  close(): Promise<void>;
}

/**
 * Reject a range outside an object of `total` bytes. Offsets come from the file's own tables, so a range
 * past the end means the file is truncated or its offsets are wrong: "corrupt", not a caller bug.
 */
export function checkRange(uri: string, range: ByteRange, total: number): void {
  if (range.offset < 0 || range.offset + range.length > total) {
    throw new IoError(
      "corrupt",
      uri,
      `read of ${range.length} bytes at ${range.offset} goes past the end (${total} bytes): truncated or corrupt file`,
    );
  }
}
