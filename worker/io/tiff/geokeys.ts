import type { Crs, GeoTransform } from "../raster.ts";
import { Tag } from "./ifd-tags.ts";
import type { TagValue } from "./ifd.ts";
import { numbers, text } from "./ifd-image.ts";

const GeoKey = {
  ModelType: 1024,
  RasterType: 1025,
  Citation: 1026,
  GeographicType: 2048,
  ProjectedCSType: 3072,
} as const;
const PIXEL_IS_POINT = 2;
const USER_DEFINED = 32767;

export type GeoKeys = ReadonlyMap<number, number | string | readonly number[]>;

/** The GeoKeyDirectory with each key's value resolved (SHORT inline, DOUBLE params, ASCII params). */
export function geoKeys(tags: ReadonlyMap<number, TagValue>): GeoKeys {
  const dir = numbers(tags, Tag.GeoKeyDirectory);
  const keys = new Map<number, number | string | readonly number[]>();
  if (!dir || dir.length < 4) return keys;
  const doubles = numbers(tags, Tag.GeoDoubleParams) ?? [];
  const ascii = text(tags, Tag.GeoAsciiParams) ?? "";
  for (let i = 0; i < dir[3]! && 4 + 4 * i + 3 < dir.length; i++) {
    const [id, location, count, value] = dir.slice(4 + 4 * i, 8 + 4 * i) as [number, number, number, number];
    if (location === 0) keys.set(id, value);
    else if (location === Tag.GeoDoubleParams) keys.set(id, doubles.slice(value, value + count));
    else if (location === Tag.GeoAsciiParams)
      keys.set(id, ascii.slice(value, value + count).replace(/\|$/, ""));
    else if (location === Tag.GeoKeyDirectory) keys.set(id, dir.slice(value, value + count));
  }
  return keys;
}

/**
 * The CRS as an EPSG code when the file names one (ProjectedCSTypeGeoKey, else GeographicTypeGeoKey).
 * A user-defined CRS (32767) is reported as epsg null and wkt null: imagechain carries no EPSG
 * database to rebuild its WKT, and GDAL itself needs the full parameter set to do so.
 */
export function crsOf(keys: GeoKeys): Crs {
  const code = (id: number) => {
    const v = keys.get(id);
    return typeof v === "number" && v > 0 && v !== USER_DEFINED ? v : null;
  };
  return { epsg: code(GeoKey.ProjectedCSType) ?? code(GeoKey.GeographicType), wkt: null };
}

/**
 * GDAL's geotransform from ModelTransformation, or from one tiepoint + ModelPixelScale.
 * Like GDAL (GTIFF_POINT_GEO_IGNORE=NO), PixelIsPoint moves the origin by half a pixel so that the
 * geotransform always refers to pixel corners. Several tiepoints without a scale are ground control
 * points, which imagechain does not turn into a geotransform: null.
 */
export function geoTransformOf(tags: ReadonlyMap<number, TagValue>, keys: GeoKeys): GeoTransform | null {
  let gt: [number, number, number, number, number, number] | null = null;
  const m = numbers(tags, Tag.ModelTransformation);
  const tie = numbers(tags, Tag.ModelTiepoint);
  const scale = numbers(tags, Tag.ModelPixelScale);
  if (m && m.length >= 16) {
    gt = [m[3]!, m[0]!, m[1]!, m[7]!, m[4]!, m[5]!];
  } else if (tie && tie.length >= 6 && scale && scale.length >= 2) {
    const [i, j, , x, y] = tie as [number, number, number, number, number];
    const [sx, sy] = scale as [number, number];
    gt = [x - i * sx, sx, 0, y + j * sy, 0, -sy];
  }
  if (gt && keys.get(GeoKey.RasterType) === PIXEL_IS_POINT) {
    gt[0] -= gt[1] * 0.5 + gt[2] * 0.5;
    gt[3] -= gt[4] * 0.5 + gt[5] * 0.5;
  }
  return gt;
}

/** GDAL_NODATA (tag 42113) is ASCII; "nan", "inf" and "-inf" are spelled as GDAL writes them. */
export function nodataOf(tags: ReadonlyMap<number, TagValue>): number | null {
  const s = text(tags, Tag.GdalNodata)?.trim().toLowerCase();
  if (s === undefined || s === "") return null;
  if (s === "nan") return Number.NaN;
  if (s === "inf") return Number.POSITIVE_INFINITY;
  if (s === "-inf") return Number.NEGATIVE_INFINITY;
  const v = Number(s);
  return Number.isNaN(v) ? null : v;
}
