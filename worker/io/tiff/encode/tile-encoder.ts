/**
 * The pure tile encoder: the bands of one tile → the compressed bytes stored in the TIFF
 * (pixel-interleaved, full tile size, predictor applied).
 */
import type { DataType, TypedArray } from "../../raster.ts";
import { bytesPerSample, isIntegerType, viewAs } from "../../raster.ts";
import { deflateAsync } from "./deflate.ts";
import { lzwEncode } from "./lzw.ts";
import { floatingPointDifference, interleaveBands } from "./predictor.ts";

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
  /** Value of samples beyond `width`x`height` (one the data type holds). */
  readonly fill: number;
}

/** One tile's bands, band-sequential: rows of `stride` samples, the top-left `width`x`height` used. */
export interface TileBands {
  readonly bands: readonly TypedArray[];
  readonly stride: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Reads `tile` before returning, so its arrays may be reused as soon as this returns. The interleaved
 * tile is built in `scratch` (T² × samples per pixel × bytes per sample), which the caller may reuse
 * once the returned promise settles: buffers recycled that way spare a large allocation per tile.
 */
export async function encodeTile(
  tile: TileBands,
  enc: TileEncoding,
  scratch: Uint8Array,
): Promise<Uint8Array> {
  const T = enc.tileSize;
  const spp = enc.samplesPerPixel;
  const predictor = predictorFor(enc.compression, enc.dataType);
  const bytes = scratch;
  const pixels = viewAs(enc.dataType, bytes);
  interleaveBands(tile.bands, tile.stride, tile.width, tile.height, pixels, T, enc.fill, predictor === 2);
  if (predictor === 3) floatingPointDifference(bytes, T * spp, spp, bytesPerSample(enc.dataType));
  switch (enc.compression) {
    case "none":
      return bytes.slice();
    case "deflate":
      return deflateAsync(bytes, enc.level);
    case "lzw":
      return lzwEncode(bytes);
  }
}
