import type { Taps } from "./passes.ts";
import { PLANE_MASK, workPlane } from "./scratch.ts";
import type { Planes, SeparableTaps, TileTaps } from "./taps.ts";

function isNodata(v: number, nodata: number): boolean {
  return v === nodata || (nodata !== nodata && v !== v);
}

/** Mark the nodata samples of the padded input in the mask plane and zero them; null when there are none. */
export function maskNodata(input: Float64Array, nodata: number): Float64Array | null {
  let first = 0;
  while (first < input.length && !isNodata(input[first]!, nodata)) first++;
  if (first === input.length) return null;
  const mask = workPlane(PLANE_MASK, input.length).fill(1);
  for (let i = first; i < input.length; i++) {
    if (isNodata(input[i]!, nodata)) {
      mask[i] = 0;
      input[i] = 0;
    }
  }
  return mask;
}

/** Σ taps w·src[base + offset] from +0: one output pixel of `tapPass`. */
function tapSum(src: Float64Array, base: number, taps: Taps): number {
  let s = 0;
  for (let t = 0; t < taps.offsets.length; t++) s += taps.weights[t]! * src[base + taps.offsets[t]!]!;
  return s;
}

/** One output pixel of the two separable passes: each kernel row summed across, then those sums down. */
function separableSum(t: SeparableTaps, src: Float64Array, base: number): number {
  let s = 0;
  for (let k = 0; k < t.rows.offsets.length; k++) {
    s += t.rows.weights[k]! * tapSum(src, base + t.rows.offsets[k]!, t.across);
  }
  return s;
}

/**
 * The nodata rules on num (the sum with nodata read as 0) and den (the sum of the valid pixels'
 * weights): smoothing kernels divide by the valid weights and scale back to the kernel's sum (no
 * valid weight left: null, for nodata); zero-sum kernels read the centre c in place of each invalid
 * neighbour: Σ w·v' = num + c·(Σ w − den) = num − c·den. An all-valid neighbourhood has den = sum
 * (the same sum in the same order), so num is kept exactly.
 */
function rule(num: number, den: number, sum: number, zeroSum: boolean, centre: number): number | null {
  if (zeroSum) return den === 0 ? num : num - centre * den; // 0 · an infinite centre would be NaN
  if (den === 0) return null;
  return num * (sum / den);
}

function separablePixel(t: SeparableTaps, p: Planes, base: number, centre: number): number | null {
  return rule(separableSum(t, p.input, base), separableSum(t, p.mask!, base), t.sum, t.zeroSum, centre);
}

function pixel(t: TileTaps, p: Planes, base: number, centre: number): number | null {
  if (t.kind === "separable") return separablePixel(t, p, base, centre);
  if (t.kind === "direct") {
    return rule(tapSum(p.input, base, t.taps), tapSum(p.mask!, base, t.taps), t.sum, t.zeroSum, centre);
  }
  const gx = separablePixel(t.x, p, base, centre);
  const gy = separablePixel(t.y, p, base, centre);
  return gx === null || gy === null ? null : Math.sqrt(gx * gx + gy * gy);
}

/**
 * Apply the nodata rules where a tile's neighbourhoods hold nodata: `dst` holds the plain result,
 * right wherever the (2rx+1) x (2ry+1) neighbourhood is all valid (the rules leave such a pixel's sum
 * as it is); every other pixel is flagged when its centre is nodata, or recomputed one at a time in
 * the passes' own order, so a pixel's value never depends on whether its tile held nodata. The
 * invalid pixels of each neighbourhood are counted by column sums slid down the rows.
 */
export function applyNodata(t: TileTaps, p: Planes, dst: Float64Array): void {
  const { width, height, pw, rx, ry, mask, flags } = p;
  const columns = new Int32Array(pw);
  for (let r = 0; r < 2 * ry; r++) for (let c = 0; c < pw; c++) columns[c]! += 1 - mask![r * pw + c]!;
  for (let y = 0; y < height; y++) {
    const enter = (y + 2 * ry) * pw;
    for (let c = 0; c < pw; c++) columns[c]! += 1 - mask![enter + c]!;
    let invalid = 0;
    for (let c = 0; c < 2 * rx; c++) invalid += columns[c]!;
    for (let x = 0; x < width; x++) {
      invalid += columns[x + 2 * rx]!;
      if (invalid > 0) {
        const base = y * pw + x;
        const centre = base + ry * pw + rx;
        const v = mask![centre] === 0 ? null : pixel(t, p, base, p.input[centre]!);
        if (v === null) flags![y * width + x] = 1;
        else dst[y * width + x] = v;
      }
      invalid -= columns[x]!;
    }
    const leave = y * pw;
    for (let c = 0; c < pw; c++) columns[c]! -= 1 - mask![leave + c]!;
  }
}
