import type { Crs, DataType, GeoTransform, Window } from "../io/raster.ts";
import type { Rpc } from "../io/tiff/rpc.ts";

/** Everything the planner knows about a raster before reading a pixel: a source's header or a step's output. */
export interface Grid {
  readonly width: number;
  readonly height: number;
  readonly bands: number;
  readonly dataType: DataType;
  readonly geoTransform: GeoTransform | null;
  readonly crs: Crs | null;
  readonly nodata: number | null;
  /** A sensor model (a source's RPC tag), kept by ops that keep the input's lattice; ortho maps through it. */
  readonly rpc?: Rpc | null;
}

/** The grid of a one-input op that keeps its input's lattice and only changes the data type and nodata. */
export function retyped(
  p: { readonly dataType: DataType; readonly nodata?: number | undefined },
  inputs: ReadonlyMap<string, Grid>,
): Grid {
  return { ...[...inputs.values()][0]!, dataType: p.dataType, nodata: p.nodata ?? null };
}

/** Same pixel lattice: pointwise ops may only combine rasters for which this holds. */
export function sameLattice(a: Grid, b: Grid): boolean {
  if (a.width !== b.width || a.height !== b.height) return false;
  if (a.geoTransform === null || b.geoTransform === null) return a.geoTransform === b.geoTransform;
  return a.geoTransform.every((v, i) => v === b.geoTransform![i]) && sameCrs(a.crs, b.crs);
}

export function sameCrs(a: Crs | null, b: Crs | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.epsg !== null || b.epsg !== null) return a.epsg === b.epsg;
  return a.wkt === b.wkt;
}

export function crsLabel(crs: Crs | null): string {
  if (crs === null) return "none";
  return crs.epsg !== null ? `EPSG:${crs.epsg}` : "custom WKT";
}

/** Clip a window to a raster of the given size; null when nothing is left. */
export function clipWindow(w: Window, width: number, height: number): Window | null {
  const x0 = Math.max(0, w.x);
  const y0 = Math.max(0, w.y);
  const x1 = Math.min(width, w.x + w.width);
  const y1 = Math.min(height, w.y + w.height);
  return x1 > x0 && y1 > y0 ? { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } : null;
}

export type Bounds = readonly [xmin: number, ymin: number, xmax: number, ymax: number];

/** The north-up grid that covers `bounds` at `resolution` (whole pixels, rounded to the nearest). */
export function gridFromBounds(
  bounds: Bounds,
  resolution: number,
  rest: Pick<Grid, "bands" | "dataType" | "crs" | "nodata">,
): Grid {
  const [xmin, ymin, xmax, ymax] = bounds;
  return {
    ...rest,
    width: Math.max(1, Math.round((xmax - xmin) / resolution)),
    height: Math.max(1, Math.round((ymax - ymin) / resolution)),
    geoTransform: [xmin, resolution, 0, ymax, 0, -resolution],
  };
}

/** The map extent of a georeferenced grid (rotation terms included), or null without a geotransform. */
export function extentOf(grid: Grid): Bounds | null {
  const gt = grid.geoTransform;
  if (gt === null) return null;
  const xs: number[] = [];
  const ys: number[] = [];
  for (const [c, r] of [
    [0, 0],
    [grid.width, 0],
    [0, grid.height],
    [grid.width, grid.height],
  ] as const) {
    xs.push(gt[0] + c * gt[1] + r * gt[2]);
    ys.push(gt[3] + c * gt[4] + r * gt[5]);
  }
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

/**
 * Output pixel → input pixel through both geotransforms, when both grids share a CRS (an affine map).
 * Null when the planner cannot say without projecting coordinates.
 */
export function affineMapping(
  output: Grid,
  input: Grid,
): ((x: number, y: number) => readonly [number, number]) | null {
  const o = output.geoTransform;
  const g = input.geoTransform;
  if (o === null || g === null || !sameCrs(output.crs, input.crs)) return null;
  const det = g[1] * g[5] - g[2] * g[4];
  if (det === 0) return null;
  return (x, y) => {
    const dx = o[0] + x * o[1] + y * o[2] - g[0];
    const dy = o[3] + x * o[4] + y * o[5] - g[3];
    return [(dx * g[5] - dy * g[2]) / det, (dy * g[1] - dx * g[4]) / det];
  };
}
