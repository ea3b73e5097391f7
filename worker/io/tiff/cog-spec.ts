/** What a COG is made of: the caller's spec, its validation, defaults and the pyramid geometry. */
import type { Crs, DataType, GeoTransform } from "../raster.ts";
import { DATA_TYPES, INTEGER_RANGE } from "../raster.ts";
import { IoError } from "../errors.ts";
import type { Compression } from "./encode/tile-encoder.ts";

export interface CogSpec {
  readonly width: number;
  readonly height: number;
  readonly bandCount: number;
  readonly dataType: DataType;
  /** Tile edge in pixels, a multiple of 16; default 512. */
  readonly tileSize?: number;
  /** Default deflate. */
  readonly compression?: Compression;
  /** zlib level for deflate, 1..9; default DEFAULT_DEFLATE_LEVEL. */
  readonly level?: number;
  readonly crs: Crs;
  /** Decides GeographicTypeGeoKey vs ProjectedCSTypeGeoKey when the built-in EPSG table is not wanted. */
  readonly crsKind?: "geographic" | "projected";
  readonly geoTransform: GeoTransform | null;
  readonly nodata: number | null;
  /** "auto" (default): halve until the smallest level fits in one tile. */
  readonly overviews?: "auto" | "none";
  /** Default average (nodata-aware; integers round half away from zero). */
  readonly resampling?: "average" | "nearest";
  /** Default "auto": BigTIFF only when offsets would not fit in 32 bits. */
  readonly bigTiff?: boolean | "auto";
  /** Dataset-level GDAL_METADATA items (written sorted by name). */
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface LevelGeometry {
  readonly width: number;
  readonly height: number;
  readonly tilesX: number;
  readonly tilesY: number;
}

export interface ResolvedCogSpec extends Required<Omit<CogSpec, "crsKind" | "metadata">> {
  readonly crsKind: "geographic" | "projected" | null;
  readonly metadata: Readonly<Record<string, string>>;
  /** Full resolution first, then each overview. */
  readonly levels: readonly LevelGeometry[];
  /** The value of pixels outside the image in edge tiles, and of tiles never added. */
  readonly fill: number;
}

/**
 * zlib level 4 (with memLevel 9, see encode/deflate.ts), not zlib's own default of 6. On predicted 16-bit
 * imagery (bench:io, 4096² 4 bands) GDAL's default (libdeflate level 6) gives 78.6 MB in 2.1 s; zlib level
 * 4 gives 81.2 MB (+3.2 %) in 0.90× that time, level 5 78.0 MB in 1.18×, level 6 0.3 % less than 5 at
 * twice its cost: zlib is slower than libdeflate at equal ratios, and level 4 is the one that keeps pace
 * with GDAL. `imagechain cog --level 5` writes files as small as GDAL's.
 */
export const DEFAULT_DEFLATE_LEVEL = 4;

/** Level sizes are ceil(size / 2^k), as GDAL computes them; "auto" stops once one tile holds the level. */
export function pyramidLevels(
  width: number,
  height: number,
  tileSize: number,
  overviews: "auto" | "none",
): LevelGeometry[] {
  const levels: LevelGeometry[] = [];
  let w = width;
  let h = height;
  for (;;) {
    levels.push({ width: w, height: h, tilesX: Math.ceil(w / tileSize), tilesY: Math.ceil(h / tileSize) });
    if (overviews === "none" || (w <= tileSize && h <= tileSize)) return levels;
    w = Math.ceil(w / 2);
    h = Math.ceil(h / 2);
  }
}

export function resolveCogSpec(spec: CogSpec, uri: string): ResolvedCogSpec {
  const bad = (field: string, why: string): IoError =>
    new IoError("invalid-argument", uri, `${field}: ${why}`);
  const positiveInt = (v: number): boolean => Number.isInteger(v) && v > 0;
  if (!positiveInt(spec.width) || !positiveInt(spec.height)) {
    throw bad("width/height", `must be positive integers, got ${spec.width}x${spec.height}`);
  }
  if (!positiveInt(spec.bandCount) || spec.bandCount > 65535) throw bad("bandCount", `got ${spec.bandCount}`);
  if (!DATA_TYPES.includes(spec.dataType)) throw bad("dataType", `unknown type ${String(spec.dataType)}`);
  const tileSize = spec.tileSize ?? 512;
  if (!positiveInt(tileSize) || tileSize % 16 !== 0)
    throw bad("tileSize", `must be a multiple of 16, got ${tileSize}`);
  const compression = spec.compression ?? "deflate";
  if (!["deflate", "lzw", "none"].includes(compression)) throw bad("compression", `unknown ${compression}`);
  const level = spec.level ?? DEFAULT_DEFLATE_LEVEL;
  if (!Number.isInteger(level) || level < 1 || level > 9) throw bad("level", `must be 1..9, got ${level}`);
  const range = INTEGER_RANGE[spec.dataType];
  if (
    spec.nodata !== null &&
    range &&
    !(Number.isInteger(spec.nodata) && spec.nodata >= range[0] && spec.nodata <= range[1])
  ) {
    throw bad("nodata", `${spec.nodata} is not a ${spec.dataType} value`);
  }
  if (spec.geoTransform && (spec.geoTransform.length !== 6 || !spec.geoTransform.every(Number.isFinite))) {
    throw bad("geoTransform", "needs 6 finite numbers");
  }
  if (spec.crs.epsg === null && spec.crs.wkt !== null) {
    throw new IoError("unsupported", uri, "crs: only EPSG-coded CRSs can be written (this one is WKT only)");
  }
  const overviews = spec.overviews ?? "auto";
  return {
    width: spec.width,
    height: spec.height,
    bandCount: spec.bandCount,
    dataType: spec.dataType,
    tileSize,
    compression,
    level,
    crs: spec.crs,
    crsKind: spec.crsKind ?? null,
    geoTransform: spec.geoTransform,
    nodata: spec.nodata,
    overviews,
    resampling: spec.resampling ?? "average",
    bigTiff: spec.bigTiff ?? "auto",
    metadata: spec.metadata ?? {},
    levels: pyramidLevels(spec.width, spec.height, tileSize, overviews),
    fill: spec.nodata ?? 0,
  };
}
