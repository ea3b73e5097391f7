/**
 * Weighted Brovey pansharpening, as GDAL's gdal_pansharpen (alg/gdalpansharpen.cpp, WeightedBrovey):
 * the MS bands are resampled at the centres of the PAN pixels (the warp module's sampler; cubic by
 * default) into arrays of the output type, so rounded like GDAL's work buffer; then per pixel
 *   pseudo = Σ w_i · ms_i,  factor = pan / pseudo (0 when pseudo is 0),  out_i = ms_i · factor,
 * rounded half up and saturated for integer types. Weights default to 1/n each.
 * With a nodata value (params.nodata, else the MS input's): an MS sample equal to it (or outside the MS),
 * a PAN sample equal to it, or a zero pseudo-pan make every band nodata; a computed value that lands on
 * nodata is moved off it (nodata - 1, or the type's minimum + 1 when nodata is that minimum; nodata + 1e-5
 * for floats), as GDAL does. The same value marks invalid MS pixels for the resampler.
 */
import { INTEGER_RANGE, typedArrayFor, type TypedArray } from "../../io/raster.ts";
import { nodataSample } from "../bandmath/nodata.ts";
import type { Kernel } from "../kernel.ts";
import { centrePositions } from "../mosaic/positions.ts";
import type { PansharpenParams } from "../pansharpen.ts";
import { resamplePoints, storer } from "../warp/resample.ts";

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
  const panBand = pan.block.bands[0]!;
  const panNodata = hasNodata ? nodataSample(pan.block.dataType, nd) : null;
  const range = INTEGER_RANGE[grid.dataType];
  const dodge = range === null ? Math.fround(nd! + 1e-5) : nd === range[0] ? range[0] + 1 : (nd ?? 0) - 1;
  const store = storer(grid.dataType);
  const allocate = output.allocate ?? typedArrayFor;
  const out = Array.from({ length: nb }, () => allocate(grid.dataType, n));
  for (let j = 0; j < n; j++) {
    const pv = panBand[j]!;
    let pseudo = 0;
    for (let i = 0; i < nb; i++) {
      const v = work[i]![j]!;
      if (hasNodata && v === nd) {
        pseudo = 0;
        break;
      }
      pseudo += weights[i]! * v;
    }
    if (hasNodata) {
      if (pseudo === 0 || pv === panNodata || pseudo !== pseudo) {
        for (let i = 0; i < nb; i++) out[i]![j] = nd;
        continue;
      }
      const factor = pv / pseudo;
      for (let i = 0; i < nb; i++) {
        const o = out[i]!;
        store(o, j, work[i]![j]! * factor, nd);
        if (o[j] === nd) o[j] = dodge;
      }
    } else {
      const factor = pseudo === 0 ? 0 : pv / pseudo;
      for (let i = 0; i < nb; i++) store(out[i]!, j, work[i]![j]! * factor, 0);
    }
  }
  return { width: window.width, height: window.height, dataType: grid.dataType, bands: out };
};
