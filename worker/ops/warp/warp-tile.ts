import type { Window } from "../../io/raster.ts";
import { approxPositions, type ExactMapping, type Positions } from "./approx.ts";
import { resampleAt, type Scale } from "./downsample.ts";
import type { Resampling, SampleSource, SampleTarget } from "./resample.ts";

/**
 * Resample `src` onto the output `window`: every pixel centre goes through `exact` (approximated within
 * `maxError` source pixels) and is sampled with `method` into `target` (row-major over the window).
 * Without a source (the tile maps outside it), the target is nodata throughout. With a `scale` below
 * ~0.95 (see tileScale), bilinear and cubic are stretched to antialias, as gdalwarp does.
 */
export function warpTile(
  method: Resampling,
  src: SampleSource | null,
  exact: ExactMapping,
  window: Window,
  maxError: number,
  target: SampleTarget,
  scratch?: Positions,
  scale: Scale | null = null,
): void {
  const n = window.width * window.height;
  if (src === null) {
    for (const band of target.bands) band.fill(target.nodata, 0, n);
    return;
  }
  const { xs, ys } = approxPositions(exact, window, maxError, scratch);
  resampleAt(method, scale, src, xs, ys, target, 0, n);
}
