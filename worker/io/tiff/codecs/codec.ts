/**
 * A block decoder: compressed bytes in, the block's bytes (still in file byte order, predictor not
 * undone) out. `expectedBytes` is the decoded size of a full block; decoders may stop there.
 * Failures are plain errors; the caller names the file and block.
 */
export interface Codec {
  readonly name: string;
  decode(input: Uint8Array, expectedBytes: number): Uint8Array | Promise<Uint8Array>;
}
