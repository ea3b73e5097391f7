import type { Rpc } from "../../io/tiff/rpc.ts";
import type { Grid } from "../grid.ts";
import type { KernelInput } from "../kernel.ts";
import { approxPositions, type Positions } from "./approx.ts";
import { constantHeight, demSampler } from "./dem.ts";
import { orthoMapping, reprojectMapping } from "./mappings.ts";
import type { Window } from "../../io/raster.ts";

/**
 * Image positions of an ortho tile over a DEM, approximated only where the mapping is smooth. A DEM
 * has kinks at every post (bilinear heights), so interpolating the full mapping between exact points
 * either misses them or refines down to a few pixels. Instead: the image positions at the model's
 * lowest and highest heights, and the DEM position, are smooth functions of the output pixel
 * (each interpolated within maxError / 3); the height is sampled from the DEM at every pixel, and the
 * image position blended linearly in height between the two. The model's departure from linearity in
 * height is measured on the tile first: beyond maxError / 3, null (the caller approximates the full
 * mapping instead).
 */
export function heightBlendedPositions(
  rpc: Rpc,
  dem: KernelInput,
  grid: Grid,
  window: Window,
  maxError: number,
  scratch: (i: number) => Positions,
): Positions | null {
  const lo = rpc.heightOff - rpc.heightScale;
  const hi = rpc.heightOff + rpc.heightScale;
  const atLo = orthoMapping(rpc, grid, constantHeight(lo));
  const atHi = orthoMapping(rpc, grid, constantHeight(hi));
  const toDem = reprojectMapping(grid, dem.grid);
  if ("error" in atLo || "error" in atHi || "error" in toDem) return null;
  if (!linearInHeight(rpc, grid, window, lo, hi, maxError / 3)) return null;
  const tolerance = maxError / 3;
  const a = approxPositions(atLo.map, window, tolerance, scratch(0));
  const b = approxPositions(atHi.map, window, tolerance, scratch(1));
  // DEM pixels are coarse: a DEM-pixel tolerance well below a height step's parallax
  const d = approxPositions(toDem.map, window, tolerance / 4, scratch(2));
  const height = demSampler(dem.block, dem.window.x, dem.window.y, dem.grid.nodata);
  const { xs, ys } = a;
  const range = hi - lo;
  for (let i = 0, n = window.width * window.height; i < n; i++) {
    const t = (height(d.xs[i]!, d.ys[i]!) - lo) / range;
    xs[i] = xs[i]! + (b.xs[i]! - xs[i]!) * t;
    ys[i] = ys[i]! + (b.ys[i]! - ys[i]!) * t;
  }
  return a;
}

/** Whether, at the tile's corners and centre, the model at ¼, ½, ¾ of [lo, hi] is within `tolerance` of the blend. */
function linearInHeight(rpc: Rpc, grid: Grid, w: Window, lo: number, hi: number, tolerance: number): boolean {
  const out = new Float64Array(2);
  const points = [
    [w.x + 0.5, w.y + 0.5],
    [w.x + w.width - 0.5, w.y + 0.5],
    [w.x + 0.5, w.y + w.height - 0.5],
    [w.x + w.width - 0.5, w.y + w.height - 0.5],
    [w.x + w.width / 2, w.y + w.height / 2],
  ] as const;
  const at = (h: number) => {
    const m = orthoMapping(rpc, grid, constantHeight(h));
    return "error" in m ? null : m.map;
  };
  const mapLo = at(lo);
  const mapHi = at(hi);
  if (!mapLo || !mapHi) return false;
  for (const t of [0.25, 0.5, 0.75]) {
    const mid = at(lo + (hi - lo) * t);
    if (!mid) return false;
    for (const [x, y] of points) {
      mapLo(x, y, out);
      const [x0, y0] = [out[0]!, out[1]!];
      mapHi(x, y, out);
      const [x1, y1] = [out[0]!, out[1]!];
      mid(x, y, out);
      const err = Math.abs(x0 + (x1 - x0) * t - out[0]!) + Math.abs(y0 + (y1 - y0) * t - out[1]!);
      if (!(err <= tolerance)) return false;
    }
  }
  return true;
}
