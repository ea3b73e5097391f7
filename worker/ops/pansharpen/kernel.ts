/**
 * Pansharpening of MS onto the PAN lattice. The MS bands are resampled at the centres of the PAN pixels
 * (the warp module's sampler; cubic by default) into arrays of the output type, so rounded like GDAL's work
 * buffer; then every band is multiplied by a per-pixel factor:
 * - brovey (default): GDAL's gdal_pansharpen (alg/gdalpansharpen.cpp, WeightedBrovey):
 *   pseudo = Σ w_i · ms_i,  factor = pan / pseudo (0 when pseudo is 0); weights default to 1/n each.
 * - rcs: OTB's Pansharpening -method rcs (SimpleRcsPanSharpeningFusionImageFilter): factor = pan / smooth,
 *   smooth = the mean of PAN over a (2·radius + 1)² box, edge pixels repeated beyond the raster (OTB: a
 *   normalised 7 x 7 box, radius 3, ZeroFluxNeumann boundary), factor 1 where |smooth| ≤ 1e-10 (see rcs.ts).
 *   Differences from OTB: smooth in float64 (OTB: float32), results rounded half up and saturated (OTB casts,
 *   truncating), nodata PAN pixels left out of the box mean (OTB averages them in), and an MS sample at
 *   nodata makes every band nodata (OTB keeps that band's MS value).
 * out_i = ms_i · factor, rounded half up and saturated for integer types.
 * With a nodata value (params.nodata, else the MS input's): an MS sample equal to it (or outside the MS),
 * a PAN sample equal to it, or (brovey) a zero pseudo-pan make every band nodata; a computed value that lands
 * on nodata is moved off it (nodata - 1, or the type's minimum + 1 when nodata is that minimum; nodata + 1e-5
 * for floats), as GDAL does. The same value marks invalid MS pixels for the resampler.
 */
import { INTEGER_RANGE, typedArrayFor, type DataType, type TypedArray } from "../../io/raster.ts";
import { nodataSample } from "../bandmath/nodata.ts";
import type { Kernel } from "../kernel.ts";
import { centrePositions } from "../mosaic/positions.ts";
import type { PansharpenParams } from "../pansharpen.ts";
import { resamplePoints } from "../warp/resample.ts";
import { maskMsNodata, rcsFactor } from "./rcs.ts";

export const pansharpenKernel: Kernel<PansharpenParams> = (p, inputs, output) => {
  const { window, grid } = output;
  const n = window.width * window.height;
  const nb = grid.bands;
  const pan = inputs.get("pan")!;
  const ms = inputs.get("ms");
  const weights = p.weights ?? Array.from({ length: nb }, () => 1 / nb);
  const nd = nodataSample(grid.dataType, grid.nodata);
  const hasNodata = nd !== null && !Number.isNaN(nd);
  const work: TypedArray[] = Array.from({ length: nb }, () => typedArrayFor(grid.dataType, n));
  if (ms === undefined) {
    for (const band of work) band.fill(hasNodata ? nd : 0);
  } else {
    const xs = new Float64Array(n);
    const ys = new Float64Array(n);
    centrePositions(grid, ms.grid, window, xs, ys);
    const src = { block: ms.block, x: ms.window.x, y: ms.window.y, nodata: hasNodata ? nd : null };
    resamplePoints(p.resampling, src, xs, ys, { bands: work, dataType: grid.dataType, nodata: nd ?? 0 });
  }
  // Band-major passes over flat arrays (monomorphic loops); per pixel the sums run in GDAL's order.
  const factor =
    p.method === "rcs"
      ? rcsFactor(pan, window, p.radius, hasNodata ? nd : null)
      : brovey(work, weights, pan.block.bands[0]!, hasNodata ? nd : null, pan.block.dataType);
  if (p.method === "rcs" && hasNodata) maskMsNodata(factor, work, nd);
  const range = INTEGER_RANGE[grid.dataType];
  const dodge = range === null ? Math.fround(nd! + 1e-5) : nd === range[0] ? range[0] + 1 : (nd ?? 0) - 1;
  const [lo, hi] = range ?? [-Infinity, Infinity];
  const fill = nd ?? 0;
  const allocate = output.allocate ?? typedArrayFor;
  const out = work.map((w) => {
    const o = allocate(grid.dataType, n);
    for (let j = 0; j < n; j++) {
      const f = factor[j]!;
      if (f !== f) {
        o[j] = fill;
        continue;
      }
      let v = w[j]! * f;
      if (range !== null) {
        v = Math.floor(v + 0.5);
        v = v < lo ? lo : v > hi ? hi : v;
      }
      o[j] = v;
      if (o[j] === nd) o[j] = dodge;
    }
    return o;
  });
  return { width: window.width, height: window.height, dataType: grid.dataType, bands: out };
};

/**
 * Per pixel, pan / Σ w_i·ms_i (0 when the sum is 0), or NaN for nodata: with a nodata value, where an MS
 * sample or the PAN sample is nodata or the sum is 0.
 */
function brovey(
  work: readonly TypedArray[],
  weights: readonly number[],
  pan: TypedArray,
  nd: number | null,
  panType: DataType,
): Float64Array {
  const n = pan.length;
  const factor = new Float64Array(n);
  work.forEach((w, i) => {
    const weight = weights[i]!;
    for (let j = 0; j < n; j++) {
      const v = w[j]!;
      factor[j]! += v === nd ? NaN : weight * v;
    }
  });
  const panNodata = nodataSample(panType, nd);
  for (let j = 0; j < n; j++) {
    const pseudo = factor[j]!;
    const pv = pan[j]!;
    if (nd !== null) factor[j] = pseudo === 0 || pv === panNodata || pseudo !== pseudo ? NaN : pv / pseudo;
    else factor[j] = pseudo === 0 ? 0 : pv / pseudo;
  }
  return factor;
}
