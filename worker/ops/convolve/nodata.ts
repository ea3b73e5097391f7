import { tapPass, type Taps } from "./passes.ts";
import {
  PLANE_GRADIENT_Y,
  PLANE_MASK,
  PLANE_SUMS_X,
  PLANE_WEIGHTS,
  PLANE_WEIGHTS_Y,
  workPlane,
} from "./scratch.ts";
import { separable, type Planes, type SeparableTaps, type TileTaps } from "./taps.ts";

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
 * Output pixels whose (2rx+1) x (2ry+1) neighbourhood holds nodata (found by column sums slid down the
 * rows), and how many of them have a valid centre: those are the ones to compute again.
 */
function nearNodata(p: Planes): { readonly near: Uint8Array; readonly count: number } {
  const { width, height, pw, rx, ry, mask } = p;
  const near = new Uint8Array(width * height);
  let count = 0;
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
        near[y * width + x] = 1;
        count += mask![(y + ry) * pw + x + rx]!;
      }
      invalid -= columns[x]!;
    }
    const leave = y * pw;
    for (let c = 0; c < pw; c++) columns[c]! -= 1 - mask![leave + c]!;
  }
  return { near, count };
}

/**
 * Visit the output pixels near nodata: nodata centres are flagged; the others get `value(i, base, c)`
 * (output index, the neighbourhood's top-left in the padded plane, the centre's value), or are flagged
 * when it is null.
 */
function eachNear(
  p: Planes,
  near: Uint8Array,
  dst: Float64Array,
  value: (i: number, base: number, centre: number) => number | null,
): void {
  const { width, height, pw, rx, ry, mask, input, flags } = p;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (near[i] === 0) continue;
      const base = y * pw + x;
      const centre = base + ry * pw + rx;
      const v = mask![centre] === 0 ? null : value(i, base, input[centre]!);
      if (v === null) flags![i] = 1;
      else dst[i] = v;
    }
  }
}

/** Whole planes of the weights of valid pixels (for the magnitude, of both gradients and their weights). */
function wholePlanes(t: TileTaps, p: Planes, near: Uint8Array, dst: Float64Array): void {
  const n = p.width * p.height;
  const den = workPlane(PLANE_WEIGHTS, n);
  if (t.kind !== "magnitude") {
    if (t.kind === "direct") tapPass(p.mask!, p.pw, p.width, p.height, t.taps, den);
    else separable(t, p, p.mask!, den);
    return eachNear(p, near, dst, (i, _, c) => rule(dst[i]!, den[i]!, t.sum, t.zeroSum, c));
  }
  const [gx, gy, denY] = [
    workPlane(PLANE_SUMS_X, n),
    workPlane(PLANE_GRADIENT_Y, n),
    workPlane(PLANE_WEIGHTS_Y, n),
  ];
  separable(t.x, p, p.input, gx);
  separable(t.x, p, p.mask!, den);
  separable(t.y, p, p.input, gy);
  separable(t.y, p, p.mask!, denY);
  eachNear(p, near, dst, (i, _, c) => {
    const x = rule(gx[i]!, den[i]!, t.x.sum, t.x.zeroSum, c);
    const y = rule(gy[i]!, denY[i]!, t.y.sum, t.y.zeroSum, c);
    return x === null || y === null ? null : Math.sqrt(x * x + y * y);
  });
}

/**
 * Apply the nodata rules where a tile's neighbourhoods hold nodata. `dst` holds the plain result,
 * right wherever the neighbourhood is all valid (the rules leave such a pixel's sum as it is); every
 * other pixel is flagged when its centre is nodata, else recomputed with the same sums in the same
 * order, so a pixel's value never depends on whether or how much its tile held nodata. A few such
 * pixels are summed one at a time; past one in (2rx + 1), whole planes of weights are cheaper.
 */
export function applyNodata(t: TileTaps, p: Planes, dst: Float64Array): void {
  const { near, count } = nearNodata(p);
  if (count * (2 * p.rx + 1) > p.width * p.height) wholePlanes(t, p, near, dst);
  else eachNear(p, near, dst, (_, base, c) => pixel(t, p, base, c));
}
