import type { Block, GeoTransform } from "../../io/raster.ts";
import type { Grid } from "../grid.ts";
import { LONLAT, pointTransform, projDefinition } from "./crs.ts";

/** Height (metres) at a WGS 84 longitude / latitude; NaN where it is unknown. */
export type HeightAt = (lon: number, lat: number) => number;

export function constantHeight(h: number): HeightAt {
  return () => h;
}

/** Inverse of a geotransform: map coordinates → continuous pixel coordinates. */
export function invertGeoTransform(gt: GeoTransform): GeoTransform | null {
  const det = gt[1] * gt[5] - gt[2] * gt[4];
  if (det === 0) return null;
  return [
    (gt[2] * gt[3] - gt[0] * gt[5]) / det,
    gt[5] / det,
    -gt[2] / det,
    (gt[0] * gt[4] - gt[1] * gt[3]) / det,
    -gt[4] / det,
    gt[1] / det,
  ];
}

/**
 * Heights from band 1 of a DEM block (any CRS proj4 knows), sampled like GDAL's RPC transformer with
 * RPC_DEMINTERPOLATION=bilinear: pixel-centre bilinear, the nearest pixel within half a pixel of the
 * block's edge, and nodata taps left out (weights renormalised). `x`, `y`: the block's place in the DEM.
 */
export function demHeight(block: Block, x: number, y: number, grid: Grid): HeightAt | { error: string } {
  const gt = grid.geoTransform;
  const inv = gt && invertGeoTransform(gt);
  if (!inv) return { error: "the DEM has no (invertible) geotransform" };
  const def = projDefinition(grid.crs);
  if ("error" in def) return { error: `the DEM's CRS: ${def.error}` };
  const toDem = pointTransform(LONLAT, def.def);
  const a = block.bands[0]!;
  const { width: w, height: h } = block;
  const nd = grid.nodata;
  const p = new Float64Array(2);
  const valid = (v: number): boolean => v === v && v !== nd;
  return (lon, lat) => {
    toDem(lon, lat, p);
    const mx = p[0]!;
    const my = p[1]!;
    const px = inv[0] + mx * inv[1] + my * inv[2] - x;
    const py = inv[3] + mx * inv[4] + my * inv[5] - y;
    if (!(px >= 0 && py >= 0 && px < w && py < h)) return NaN;
    const sx = px - 0.5;
    const sy = py - 0.5;
    const ix = Math.floor(sx);
    const iy = Math.floor(sy);
    if (ix < 0 || iy < 0 || ix + 1 >= w || iy + 1 >= h) {
      const v = a[Math.floor(py) * w + Math.floor(px)]!;
      return valid(v) ? v : NaN;
    }
    const fx = sx - ix;
    const fy = sy - iy;
    const k = iy * w + ix;
    let sum = 0;
    let weight = 0;
    const tap = (v: number, wt: number): void => {
      if (valid(v)) {
        sum += v * wt;
        weight += wt;
      }
    };
    tap(a[k]!, (1 - fx) * (1 - fy));
    tap(a[k + 1]!, fx * (1 - fy));
    tap(a[k + w]!, (1 - fx) * fy);
    tap(a[k + w + 1]!, fx * fy);
    return weight > 0 ? sum / weight : NaN;
  };
}
