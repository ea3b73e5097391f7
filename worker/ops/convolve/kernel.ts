import type { Block } from "../../io/raster.ts";
import type { ConvolveParams } from "../convolve.ts";
import type { Kernel, KernelInput } from "../kernel.ts";
import { fillPlane, padMap } from "./border.ts";
import { substitutedPass, tapPass, tapsOf, type Taps } from "./passes.ts";
import { nodataSample, storeSamples } from "./samples.ts";
import {
  PLANE_ACROSS,
  PLANE_GRADIENT_Y,
  PLANE_INPUT,
  PLANE_MASK,
  PLANE_VALUES,
  PLANE_WEIGHTS,
  workPlane,
} from "./scratch.ts";
import { isZeroSum, kernelWeights, type KernelWeights, type SeparableWeights } from "./weights.ts";

/** One output tile's planes: the padded input (pw x ph, nodata zeroed), its validity mask, the output (w x h). */
interface Planes {
  readonly width: number;
  readonly height: number;
  readonly pw: number;
  readonly ph: number;
  readonly rx: number;
  readonly ry: number;
  readonly input: Float64Array;
  /** 1 where the padded input is valid, 0 at nodata; null when the tile's padded input has no nodata. */
  readonly mask: Float64Array | null;
  /** Output pixels that are nodata (centre nodata, or no valid weight left); null when none can be. */
  readonly flags: Uint8Array | null;
}

/** A kernel's taps laid out for one tile's planes, with its sum taken in the order the passes take it. */
interface SeparableTaps {
  readonly across: Taps;
  readonly down: Taps;
  readonly sum: number;
  readonly zeroSum: boolean;
}

type TileTaps =
  | ({ readonly kind: "separable" } & SeparableTaps)
  | { readonly kind: "direct"; readonly taps: Taps; readonly sum: number; readonly zeroSum: boolean }
  | { readonly kind: "magnitude"; readonly x: SeparableTaps; readonly y: SeparableTaps };

function sumOf(w: Float64Array): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += w[i]!;
  return s;
}

function separableTaps(w: SeparableWeights, width: number): SeparableTaps {
  const across = tapsOf(w.horizontal, w.horizontal.length, 0);
  const down = tapsOf(w.vertical, 1, width);
  // the passes over a neighbourhood of ones: Σ across first, then Σ down of that, both from +0
  const row = sumOf(across.weights);
  let sum = 0;
  for (let k = 0; k < down.weights.length; k++) sum += down.weights[k]! * row;
  const zeroSum = isZeroSum(w.horizontal, sumOf(w.horizontal)) || isZeroSum(w.vertical, sumOf(w.vertical));
  return { across, down, sum, zeroSum };
}

function tileTaps(w: KernelWeights, width: number, pw: number): TileTaps {
  if (w.kind === "separable") return { kind: "separable", ...separableTaps(w, width) };
  if (w.kind === "magnitude") {
    return { kind: "magnitude", x: separableTaps(w.x, width), y: separableTaps(w.y, width) };
  }
  const taps = tapsOf(w.weights, 2 * w.rx + 1, pw);
  const sum = sumOf(taps.weights);
  return { kind: "direct", taps, sum, zeroSum: isZeroSum(w.weights, sum) };
}

function separable(t: SeparableTaps, p: Planes, src: Float64Array, dst: Float64Array): void {
  const across = workPlane(PLANE_ACROSS, p.width * p.ph);
  tapPass(src, p.pw, p.width, p.ph, t.across, across);
  tapPass(across, p.width, p.width, p.height, t.down, dst);
}

/**
 * Nodata rules on the sums of values (nodata as 0) and of the weights of valid pixels (`den`): a centre
 * that is nodata gives nodata; smoothing kernels divide by the valid weights and scale back to the
 * kernel's sum (no valid weight left: nodata); zero-sum kernels read the centre c in place of each
 * invalid neighbour: Σ w·v' = num + c·(Σ w − den) = num − c·den. A neighbourhood without nodata has
 * den equal to the kernel's sum and keeps num as it is, bit for bit as the unmasked path computes it.
 */
function applyNodata(p: Planes, num: Float64Array, den: Float64Array, sum: number, zeroSum: boolean): void {
  const { width, height, pw, rx, ry, input, mask, flags } = p;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const c = (y + ry) * pw + x + rx;
      const d = den[i]!;
      if (mask![c] === 0 || (!zeroSum && d === 0)) flags![i] = 1;
      else if (zeroSum) num[i] = d === 0 ? num[i]! : num[i]! - input[c]! * d;
      else num[i] = d === sum ? num[i]! : num[i]! * (sum / d);
    }
  }
}

function separableMasked(t: SeparableTaps, p: Planes, dst: Float64Array): void {
  separable(t, p, p.input, dst);
  if (p.mask === null) return;
  const den = workPlane(PLANE_WEIGHTS, p.width * p.height);
  separable(t, p, p.mask, den);
  applyNodata(p, dst, den, t.sum, t.zeroSum);
}

function flagNodataCentres(p: Planes): void {
  for (let y = 0; y < p.height; y++) {
    for (let x = 0; x < p.width; x++) {
      if (p.mask![(y + p.ry) * p.pw + x + p.rx] === 0) p.flags![y * p.width + x] = 1;
    }
  }
}

function evaluate(t: TileTaps, p: Planes, dst: Float64Array): void {
  if (t.kind === "separable") return separableMasked(t, p, dst);
  if (t.kind === "magnitude") {
    const gy = workPlane(PLANE_GRADIENT_Y, p.width * p.height);
    separableMasked(t.x, p, dst);
    separableMasked(t.y, p, gy);
    for (let i = 0; i < dst.length; i++) dst[i] = Math.sqrt(dst[i]! * dst[i]! + gy[i]! * gy[i]!);
    return;
  }
  if (p.mask === null) return tapPass(p.input, p.pw, p.width, p.height, t.taps, dst);
  if (t.zeroSum) {
    substitutedPass(p.input, p.mask, p.pw, p.width, p.height, t.taps, p.ry * p.pw + p.rx, dst);
    return flagNodataCentres(p);
  }
  tapPass(p.input, p.pw, p.width, p.height, t.taps, dst);
  const den = workPlane(PLANE_WEIGHTS, p.width * p.height);
  tapPass(p.mask, p.pw, p.width, p.height, t.taps, den);
  applyNodata(p, dst, den, t.sum, false);
}

function isNodata(v: number, nodata: number): boolean {
  return v === nodata || (nodata !== nodata && v !== v);
}

/** Mark the nodata samples of the padded input in the mask plane and zero them; null when there are none. */
function maskNodata(input: Float64Array, nodata: number): Float64Array | null {
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

function onlyInput(inputs: ReadonlyMap<string, KernelInput>): KernelInput {
  if (inputs.size !== 1) throw new RangeError(`convolve takes one input, got ${inputs.size}`);
  return inputs.values().next().value!;
}

/**
 * convolve's pixels: each band of the one input, bordered by the border rule from the image's own
 * edges (the block is the tile grown by the radius, clipped to the image), correlated with the kernel
 * in float64, then stored as the output type (see `storeSamples`). Separable kernels run as a
 * horizontal then a vertical pass through a float64 intermediate; others tap by tap.
 *
 * Nodata (the input grid's; the output's is the output grid's): an output pixel whose centre is nodata
 * is nodata; otherwise nodata neighbours are left out and the remaining weights rescaled to the
 * kernel's sum, or, for zero-sum kernels (sobel, laplacian, derivative matrices), replaced by the
 * centre value. Whether a tile contains nodata changes the code path but never a pixel's value.
 */
export const convolveKernel: Kernel<ConvolveParams> = (params, inputs, output): Block => {
  const input = onlyInput(inputs);
  const w = kernelWeights(params.kernel);
  const rx = w.kind === "direct" ? w.rx : w.radius;
  const ry = w.kind === "direct" ? w.ry : w.radius;
  const { width, height } = output.window;
  const { block, grid } = input;
  const map = padMap(output.window, rx, ry, input.window, grid.width, grid.height, params.border);
  const pw = width + 2 * rx;
  const ph = height + 2 * ry;
  const taps = tileTaps(w, width, pw);
  const nodata = nodataSample(grid.dataType, grid.nodata);
  const bands = block.bands.map((src) => {
    const plane = workPlane(PLANE_INPUT, pw * ph);
    fillPlane(plane, src, block.width, map);
    const mask = nodata === null ? null : maskNodata(plane, nodata);
    const flags = mask === null ? null : new Uint8Array(width * height);
    const values = workPlane(PLANE_VALUES, width * height);
    evaluate(taps, { width, height, pw, ph, rx, ry, input: plane, mask, flags }, values);
    return storeSamples(values, flags, output.grid.dataType, output.grid.nodata);
  });
  return { width, height, dataType: output.grid.dataType, bands };
};
