import type { TypedArray, Window } from "../../io/raster.ts";
import { nodataSample } from "../bandmath/nodata.ts";
import type { KernelInput } from "../kernel.ts";

/** OTB's threshold under which the smoothed PAN counts as zero and the scale stays 1. */
const ZERO_SMOOTH = 1e-10;

/**
 * The RCS scale of every pixel of `window` (row-major): pan / smooth(pan), where smooth is the mean of
 * the (2·radius + 1)² box around the pixel, the PAN raster's edge pixels repeated beyond it (OTB's
 * ZeroFluxNeumann boundary), and 1 where |smooth| ≤ 1e-10. `pan` must hold the window grown by `radius`
 * (clipped to the raster): the op's halo footprint. NaN PAN pixels, and with a nodata value nodata ones,
 * are left out of the box mean; the scale is NaN (nodata) where the pixel itself is nodata or NaN.
 */
export function rcsFactor(pan: KernelInput, window: Window, radius: number, nd: number | null): Float64Array {
  const { width: w, height: h } = window;
  const { x: bx, y: by, width: bw, height: bh } = pan.window;
  const lastX = pan.grid.width - 1;
  const lastY = pan.grid.height - 1;
  const values = pan.block.bands[0]!;
  const skip = nodataSample(pan.block.dataType, nd);
  // Horizontal box sums (and valid counts) for every row of the block, at the window's columns.
  const rowSum = new Float64Array(bh * w);
  const rowCount = new Float64Array(bh * w);
  for (let r = 0; r < bh; r++) {
    for (let i = 0; i < w; i++) {
      const x = window.x + i;
      let s = 0;
      let c = 0;
      for (let k = -radius; k <= radius; k++) {
        const xx = x + k;
        const v = values[r * bw + (xx < 0 ? 0 : xx > lastX ? lastX : xx) - bx]!;
        if (v === skip || v !== v) continue;
        s += v;
        c++;
      }
      rowSum[r * w + i] = s;
      rowCount[r * w + i] = c;
    }
  }
  const factor = new Float64Array(w * h);
  for (let j = 0; j < h; j++) {
    const y = window.y + j;
    for (let i = 0; i < w; i++) {
      let s = 0;
      let c = 0;
      for (let k = -radius; k <= radius; k++) {
        const yy = y + k;
        const at = ((yy < 0 ? 0 : yy > lastY ? lastY : yy) - by) * w + i;
        s += rowSum[at]!;
        c += rowCount[at]!;
      }
      const pv = values[(y - by) * bw + window.x + i - bx]!;
      if (skip !== null && (pv === skip || c === 0)) {
        factor[j * w + i] = NaN;
        continue;
      }
      const smooth = c === 0 ? 0 : s / c;
      factor[j * w + i] = Math.abs(smooth) > ZERO_SMOOTH ? pv / smooth : 1;
    }
  }
  return factor;
}

/** NaN (nodata throughout) where any band's resampled MS sample is nodata. */
export function maskMsNodata(factor: Float64Array, work: readonly TypedArray[], nd: number): void {
  for (const band of work) {
    for (let j = 0; j < factor.length; j++) if (band[j] === nd) factor[j] = NaN;
  }
}
