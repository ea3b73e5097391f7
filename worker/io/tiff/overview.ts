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

function roundedMean(sum: number, count: number, k: Downsample): number {
  if (count === 0) return k.nodata ?? 0;
  if (!k.integer) return sum / count;
  const m = sum / count;
  return m >= 0 ? Math.floor(m + 0.5) : -Math.floor(0.5 - m);
}

/** roundedMean(sum, 4) for sums of four 8/16-bit integers, which fit int32 and so allow a shift. */
function smallIntMean4(sum: number): number {
  return sum >= 0 ? (sum + 2) >> 2 : -((2 - sum) >> 2);
}

/** The mean of the block at p (and q, the row below, when distinctY), skipping nodata. */
function blockMean(
  src: TypedArray,
  p: number,
  q: number,
  distinctX: boolean,
  distinctY: boolean,
  k: Downsample,
  nanNodata: boolean,
): number {
  const valid = (v: number): boolean => (nanNodata ? v === v : v !== k.nodata);
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
  return roundedMean(sum, count, k);
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
  // Output pixels whose 2x2 block lies wholly inside the valid area and holds no nodata take a quick
  // path, branch-free when the type is a small integer and there is no nodata at all.
  const fullW = validWidth >> 1;
  const nanNodata = k.nodata !== null && Number.isNaN(k.nodata);
  // NaN equals nothing, so it stands for "no nodata" in the quick path (NaN nodata takes the slow one).
  const nodata = k.nodata ?? NaN;
  const checkNodata = k.nodata !== null;
  const smallInt = k.integer && src.BYTES_PER_ELEMENT <= 2;
  dst.fill(k.fill);
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
    if (distinctY && smallInt && !checkNodata) {
      for (let p = r0, q = r1; ox < fullW; ox++, p += 2, q += 2) {
        dst[out + ox] = smallIntMean4(src[p]! + src[p + 1]! + src[q]! + src[q + 1]!);
      }
    }
    if (distinctY && !nanNodata) {
      for (let p = r0, q = r1; ox < fullW; ox++, p += 2, q += 2) {
        const a = src[p]!;
        const b = src[p + 1]!;
        const c = src[q]!;
        const d = src[q + 1]!;
        if (checkNodata && (a === nodata || b === nodata || c === nodata || d === nodata)) {
          dst[out + ox] = blockMean(src, p, q, true, true, k, nanNodata);
        } else if (smallInt) {
          dst[out + ox] = smallIntMean4(a + b + c + d);
        } else {
          dst[out + ox] = roundedMean(a + b + c + d, 4, k);
        }
      }
    }
    for (; ox < outW; ox++)
      dst[out + ox] = blockMean(
        src,
        r0 + 2 * ox,
        r1 + 2 * ox,
        2 * ox + 1 < validWidth,
        distinctY,
        k,
        nanNodata,
      );
  }
}
