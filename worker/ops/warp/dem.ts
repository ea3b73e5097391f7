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

/** Height at a continuous pixel position of a DEM (pixel corners at integers); NaN where unknown. */
export type DemSampler = (px: number, py: number) => number;

/**
 * Band 1 of a DEM block sampled like GDAL's RPC transformer with RPC_DEMINTERPOLATION=bilinear:
 * pixel-centre bilinear, the nearest pixel within half a pixel of the block's edge, nodata taps left out
 * (weights renormalised). `x`, `y`: the block's place in the DEM; positions are DEM-grid pixels.
 */
export function demSampler(block: Block, x: number, y: number, nodata: number | null): DemSampler {
  const a = block.bands[0]!;
  const { width: w, height: h } = block;
  const valid = (v: number): boolean => v === v && v !== nodata;
  return (gx, gy) => {
    const px = gx - x;
    const py = gy - y;
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
    const v00 = a[k]!;
    const v10 = a[k + 1]!;
    const v01 = a[k + w]!;
    const v11 = a[k + w + 1]!;
    if (valid(v00) && valid(v10) && valid(v01) && valid(v11)) {
      return (v00 * (1 - fx) + v10 * fx) * (1 - fy) + (v01 * (1 - fx) + v11 * fx) * fy;
    }
    let sum = 0;
    let weight = 0;
    const taps = [v00, v10, v01, v11];
    const weights = [(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy];
    for (let i = 0; i < 4; i++) {
      if (valid(taps[i]!)) {
        sum += taps[i]! * weights[i]!;
        weight += weights[i]!;
      }
    }
    return weight > 0 ? sum / weight : NaN;
  };
}

/** Heights at WGS 84 longitude / latitude from a DEM block in any CRS proj4 knows (see demSampler). */
export function demHeight(block: Block, x: number, y: number, grid: Grid): HeightAt | { error: string } {
  const gt = grid.geoTransform;
  const inv = gt && invertGeoTransform(gt);
  if (!inv) return { error: "the DEM has no (invertible) geotransform" };
  const def = projDefinition(grid.crs);
  if ("error" in def) return { error: `the DEM's CRS: ${def.error}` };
  const toDem = pointTransform(LONLAT, def.def);
  const sample = demSampler(block, x, y, grid.nodata);
  const p = new Float64Array(2);
  return (lon, lat) => {
    toDem(lon, lat, p);
    const mx = p[0]!;
    const my = p[1]!;
    return sample(inv[0] + mx * inv[1] + my * inv[2], inv[3] + mx * inv[4] + my * inv[5]);
  };
}
