import type { Rpc } from "../../io/tiff/rpc.ts";
import type { Grid } from "../grid.ts";
import type { KernelInput } from "../kernel.ts";
import { approxPositions, type ExactMapping, type Positions } from "./approx.ts";
import { constantHeight, demSampler } from "./dem.ts";
import { orthoMapping, reprojectMapping } from "./mappings.ts";
import type { Window } from "../../io/raster.ts";

/**
 * Image positions of an ortho tile over a DEM, approximated only where the mapping is smooth. A DEM
 * has kinks at every post (bilinear heights), so interpolating the full mapping between exact points
 * either misses them or refines down to a few pixels. Instead: the image positions at the model's
 * lowest, middle and highest heights under the tile, and the DEM position, are smooth functions of the output pixel
 * (each interpolated within maxError / 3); the height is sampled from the DEM at every pixel, and the
 * image position interpolated quadratically in height between the three (exact for the H and H²
 * terms). The three heights are the lowest, middle and highest sampled under the tile, so
 * nothing is extrapolated. The remaining departure (H³, denominators) is measured on the tile first: beyond
 * maxError / 3, null (the caller approximates the full mapping instead).
 */
export function heightBlendedPositions(
  rpc: Rpc,
  dem: KernelInput,
  /** Added to the DEM's heights (GDAL's RPC_HEIGHT), e.g. the geoid's height over the ellipsoid. */
  offset: number,
  grid: Grid,
  window: Window,
  maxError: number,
  scratch: (i: number) => Positions,
): Positions | null {
  const toDem = reprojectMapping(grid, dem.grid);
  if ("error" in toDem) return null;
  const tolerance = maxError / 3;
  const n = window.width * window.height;
  // heights first (DEM pixels are coarse: a DEM-pixel tolerance well below a height step's parallax)
  const d = approxPositions(toDem.map, window, tolerance / 4, scratch(3));
  const heights = d.xs;
  const sample = demSampler(dem.block, dem.window.x, dem.window.y, dem.grid.nodata);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const h = sample(d.xs[i]!, d.ys[i]!) + offset;
    heights[i] = h;
    if (h < lo) lo = h;
    if (h > hi) hi = h;
  }
  if (lo > hi) return null; // no height anywhere under the tile: the full mapping gives nodata
  hi = Math.max(hi, lo + 1);
  const maps: ExactMapping[] = [];
  for (const h of [lo, (lo + hi) / 2, hi]) {
    const m = orthoMapping(rpc, grid, constantHeight(h));
    if ("error" in m) return null;
    maps.push(m.map);
  }
  const [m0, m1, m2] = maps as [ExactMapping, ExactMapping, ExactMapping];
  if (!quadraticInHeight(m0, m1, m2, rpc, grid, window, lo, hi, tolerance)) return null;
  const a = approxPositions(m0, window, tolerance, scratch(0));
  const b = approxPositions(m1, window, tolerance, scratch(1));
  const c = approxPositions(m2, window, tolerance, scratch(2));
  const { xs, ys } = a;
  const range = hi - lo;
  for (let i = 0; i < n; i++) {
    const t = (heights[i]! - lo) / range;
    // Lagrange weights of the nodes t = 0, ½, 1
    const w0 = 2 * (t - 0.5) * (t - 1);
    const w1 = -4 * t * (t - 1);
    const w2 = 2 * t * (t - 0.5);
    xs[i] = w0 * xs[i]! + w1 * b.xs[i]! + w2 * c.xs[i]!;
    ys[i] = w0 * ys[i]! + w1 * b.ys[i]! + w2 * c.ys[i]!;
  }
  return a;
}

/**
 * Whether, at the tile's corners and centre, the model at ⅛, ¼, ¾, ⅞ of [lo, hi] is within
 * `tolerance` of the quadratic through lo, mid, hi.
 */
function quadraticInHeight(
  m0: ExactMapping,
  m1: ExactMapping,
  m2: ExactMapping,
  rpc: Rpc,
  grid: Grid,
  w: Window,
  lo: number,
  hi: number,
  tolerance: number,
): boolean {
  const out = new Float64Array(2);
  const p = new Float64Array(6);
  const points = [
    [w.x + 0.5, w.y + 0.5],
    [w.x + w.width - 0.5, w.y + 0.5],
    [w.x + 0.5, w.y + w.height - 0.5],
    [w.x + w.width - 0.5, w.y + w.height - 0.5],
    [w.x + w.width / 2, w.y + w.height / 2],
  ] as const;
  for (const t of [0.125, 0.25, 0.75, 0.875]) {
    const m = orthoMapping(rpc, grid, constantHeight(lo + (hi - lo) * t));
    if ("error" in m) return false;
    const w0 = 2 * (t - 0.5) * (t - 1);
    const w1 = -4 * t * (t - 1);
    const w2 = 2 * t * (t - 0.5);
    for (const [x, y] of points) {
      [m0, m1, m2].forEach((f, k) => {
        f(x, y, out);
        p[2 * k] = out[0]!;
        p[2 * k + 1] = out[1]!;
      });
      m.map(x, y, out);
      const ex = w0 * p[0]! + w1 * p[2]! + w2 * p[4]! - out[0]!;
      const ey = w0 * p[1]! + w1 * p[3]! + w2 * p[5]! - out[1]!;
      if (!(Math.abs(ex) + Math.abs(ey) <= tolerance)) return false;
    }
  }
  return true;
}
