/**
 * Overview kernels: a pixel-interleaved tile → its 2x-reduced quarter (each output pixel from a 2x2
 * block; blocks cut by the image edge use the pixels that exist). Averages skip nodata pixels (an
 * all-nodata block gives nodata) and round integers half away from zero, which matches GDAL's
 * AVERAGE pixel for pixel; nearest takes the block's top-left pixel, as GDAL's NEAREST does.
 */
import type { TypedArray } from "../raster.ts";

export type Resampling = "average" | "nearest";

export interface Downsample {
  readonly samplesPerPixel: number;
  readonly resampling: Resampling;
  readonly integer: boolean;
  readonly nodata: number | null;
  /** Value of output pixels beyond the valid area. */
  readonly fill: number;
}

/**
 * `src` is `stride`x`stride` pixels of which the top-left `validWidth`x`validHeight` are in the image;
 * `dst` is (stride/2)² pixels and is written entirely.
 */
export function downsample2x(
  src: TypedArray,
  stride: number,
  validWidth: number,
  validHeight: number,
  dst: TypedArray,
  k: Downsample,
): void {
  const spp = k.samplesPerPixel;
  const half = stride / 2;
  const outW = Math.ceil(validWidth / 2);
  const outH = Math.ceil(validHeight / 2);
  dst.fill(k.fill);
  const nodata = k.nodata;
  const nanNodata = nodata !== null && Number.isNaN(nodata);
  const valid = (v: number): boolean => (nanNodata ? v === v : v !== nodata);
  for (let oy = 0; oy < outH; oy++) {
    const y0 = 2 * oy;
    const y1 = Math.min(y0 + 1, validHeight - 1);
    for (let ox = 0; ox < outW; ox++) {
      const x0 = 2 * ox;
      const x1 = Math.min(x0 + 1, validWidth - 1);
      const out = (oy * half + ox) * spp;
      if (k.resampling === "nearest") {
        const p = (y0 * stride + x0) * spp;
        for (let b = 0; b < spp; b++) dst[out + b] = src[p + b]!;
        continue;
      }
      const p00 = (y0 * stride + x0) * spp;
      const p01 = (y0 * stride + x1) * spp;
      const p10 = (y1 * stride + x0) * spp;
      const p11 = (y1 * stride + x1) * spp;
      const distinctX = x1 !== x0;
      const distinctY = y1 !== y0;
      for (let b = 0; b < spp; b++) {
        let sum = 0;
        let count = 0;
        let v = src[p00 + b]!;
        if (valid(v)) {
          sum += v;
          count++;
        }
        if (distinctX) {
          v = src[p01 + b]!;
          if (valid(v)) {
            sum += v;
            count++;
          }
        }
        if (distinctY) {
          v = src[p10 + b]!;
          if (valid(v)) {
            sum += v;
            count++;
          }
          if (distinctX) {
            v = src[p11 + b]!;
            if (valid(v)) {
              sum += v;
              count++;
            }
          }
        }
        if (count === 0) {
          dst[out + b] = nodata ?? 0;
        } else if (k.integer) {
          const mean = sum / count;
          dst[out + b] = mean >= 0 ? Math.floor(mean + 0.5) : -Math.floor(0.5 - mean);
        } else {
          dst[out + b] = sum / count;
        }
      }
    }
  }
}
