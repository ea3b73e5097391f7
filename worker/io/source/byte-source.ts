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
