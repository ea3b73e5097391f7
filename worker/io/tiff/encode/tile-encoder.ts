/**
 * The pure tile encoder: one pixel-interleaved, full-size tile → the compressed bytes stored in the TIFF.
 * It takes ownership of `pixels` (the predictor runs in place).
 */
import type { DataType, TypedArray } from "../../raster.ts";
import { bytesPerSample, isIntegerType } from "../../raster.ts";
import { deflateAsync } from "./deflate.ts";
import { lzwEncode } from "./lzw.ts";
import { floatingPointDifference, horizontalDifference } from "./predictor.ts";

export type Compression = "deflate" | "lzw" | "none";

/** TIFF Compression tag values. */
export const COMPRESSION_CODE = { none: 1, lzw: 5, deflate: 8 } as const satisfies Record<
  Compression,
  number
>;

/** TIFF Predictor tag values: none, horizontal differencing, floating point. */
export type Predictor = 1 | 2 | 3;

/** Integers get horizontal differencing, floats the floating-point predictor; uncompressed tiles none. */
export function predictorFor(compression: Compression, dataType: DataType): Predictor {
  if (compression === "none") return 1;
  return isIntegerType(dataType) ? 2 : 3;
}

export interface TileEncoding {
  readonly compression: Compression;
  /** zlib level 1..9 for deflate. */
  readonly level: number;
  readonly dataType: DataType;
  readonly tileSize: number;
  readonly samplesPerPixel: number;
}

export function encodeTile(pixels: TypedArray, enc: TileEncoding): Promise<Uint8Array> {
  const rowSamples = enc.tileSize * enc.samplesPerPixel;
  const bytes = new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  const predictor = predictorFor(enc.compression, enc.dataType);
  if (predictor === 2) horizontalDifference(pixels, rowSamples, enc.samplesPerPixel);
  if (predictor === 3)
    floatingPointDifference(bytes, rowSamples, enc.samplesPerPixel, bytesPerSample(enc.dataType));
  switch (enc.compression) {
    case "deflate":
      return deflateAsync(bytes, enc.level);
    case "lzw":
      return Promise.resolve(lzwEncode(bytes));
    case "none":
      return Promise.resolve(bytes);
  }
}
