/**
 * Overview kernels: one band of a tile → its 2x-reduced quarter (each output pixel from a 2x2 block;
 * blocks cut by the image edge use the pixels that exist). Averages skip nodata pixels (an all-nodata
 * block gives nodata) and round integers half away from zero, which matches GDAL's AVERAGE pixel for
 * pixel; nearest takes the block's top-left pixel, as GDAL's NEAREST does.
 */
import type { TypedArray } from "../raster.ts";

export type Resampling = "average" | "nearest";

export interface Downsample {
  readonly resampling: Resampling;
  readonly integer: boolean;
  readonly nodata: number | null;
  /** Value of output pixels beyond the valid area. */
  readonly fill: number;
}

/**
 * `src` holds rows of `srcStride` samples of which the top-left `validWidth`x`validHeight` are in the
 * image; `dst` holds rows of `dstStride` samples and is written entirely, beyond the reduced area with fill.
 */
export function downsample2x(
  src: TypedArray,
  srcStride: number,
  validWidth: number,
  validHeight: number,
  dst: TypedArray,
  dstStride: number,
  k: Downsample,
): void {
  const outW = Math.ceil(validWidth / 2);
  const outH = Math.ceil(validHeight / 2);
  // Output pixels whose 2x2 block lies wholly inside the valid area take the branch-free path.
  const fullW = validWidth >> 1;
  dst.fill(k.fill);
  const nodata = k.nodata;
  const nanNodata = nodata !== null && Number.isNaN(nodata);
  const valid = (v: number): boolean => (nanNodata ? v === v : v !== nodata);
  const mean = (sum: number, count: number): number => {
    if (count === 0) return nodata ?? 0;
    if (!k.integer) return sum / count;
    const m = sum / count;
    return m >= 0 ? Math.floor(m + 0.5) : -Math.floor(0.5 - m);
  };
  for (let oy = 0; oy < outH; oy++) {
    const r0 = 2 * oy * srcStride;
    const distinctY = 2 * oy + 1 < validHeight;
    const r1 = distinctY ? r0 + srcStride : r0;
    const out = oy * dstStride;
    if (k.resampling === "nearest") {
      for (let ox = 0, p = r0; ox < outW; ox++, p += 2) dst[out + ox] = src[p]!;
      continue;
    }
    let ox = 0;
    if (distinctY && nodata === null) {
      for (let p = r0, q = r1; ox < fullW; ox++, p += 2, q += 2) {
        dst[out + ox] = mean(src[p]! + src[p + 1]! + src[q]! + src[q + 1]!, 4);
      }
    }
    for (; ox < outW; ox++) {
      const p = r0 + 2 * ox;
      const q = r1 + 2 * ox;
      const distinctX = 2 * ox + 1 < validWidth;
      let sum = 0;
      let count = 0;
      let v = src[p]!;
      if (valid(v)) {
        sum += v;
        count++;
      }
      if (distinctX) {
        v = src[p + 1]!;
        if (valid(v)) {
          sum += v;
          count++;
        }
      }
      if (distinctY) {
        v = src[q]!;
        if (valid(v)) {
          sum += v;
          count++;
        }
        if (distinctX) {
          v = src[q + 1]!;
          if (valid(v)) {
            sum += v;
            count++;
          }
        }
      }
      dst[out + ox] = mean(sum, count);
    }
  }
}
