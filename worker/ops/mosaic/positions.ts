import type { Window } from "../../io/raster.ts";
import { affineMapping, type Grid } from "../grid.ts";

/**
 * Where the centre of every pixel of `window` (in `output`'s grid) lies in `input`'s grid, in continuous
 * pixel coordinates (the resampler's convention), row-major into xs / ys. Both grids share a CRS (the ops
 * that call this check it when deriving their output grid), so the map is affine: its coefficients are
 * taken once from the geotransforms and applied without a call per pixel.
 */
export function centrePositions(
  output: Grid,
  input: Grid,
  window: Window,
  xs: Float64Array,
  ys: Float64Array,
): void {
  const map = affineMapping(output, input);
  if (map === null) throw new Error("the output and the input are not in one georeferenced CRS");
  const [u0, v0] = map(0, 0);
  const [u1, v1] = map(1, 0);
  const [u2, v2] = map(0, 1);
  const ux = u1 - u0;
  const vx = v1 - v0;
  const uy = u2 - u0;
  const vy = v2 - v0;
  let i = 0;
  for (let r = 0; r < window.height; r++) {
    const y = window.y + r + 0.5;
    for (let c = 0; c < window.width; c++, i++) {
      const x = window.x + c + 0.5;
      xs[i] = u0 + x * ux + y * uy;
      ys[i] = v0 + x * vx + y * vy;
    }
  }
}
