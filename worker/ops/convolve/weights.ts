import type { Kernel as KernelSpec } from "../convolve.ts";

/** A kernel that is the outer product of a vertical and a horizontal 1-D kernel: run as two 1-D passes. */
export interface SeparableWeights {
  readonly kind: "separable";
  readonly radius: number;
  readonly horizontal: Float64Array;
  readonly vertical: Float64Array;
}

/** A kernel applied tap by tap: `weights` is rows x cols, row-major, both sides odd. */
export interface DirectWeights {
  readonly kind: "direct";
  readonly rx: number;
  readonly ry: number;
  readonly weights: Float64Array;
}

/** Sobel magnitude: sqrt(gx² + gy²) of two separable gradients. */
export interface MagnitudeWeights {
  readonly kind: "magnitude";
  readonly radius: 1;
  readonly x: SeparableWeights;
  readonly y: SeparableWeights;
}

export type KernelWeights = SeparableWeights | DirectWeights | MagnitudeWeights;

/** Half the kernel's side: the halo a tile needs. Gaussians are truncated at 3 sigma (the weights use the same). */
export function kernelRadius(k: KernelSpec): number {
  if (k.matrix) return (Math.max(k.matrix.length, k.matrix[0]!.length) - 1) / 2;
  if (k.gaussian) return Math.max(1, Math.ceil(3 * k.gaussian.sigma));
  if (k.box) return (k.box.size - 1) / 2;
  return 1;
}

const SOBEL_SMOOTH = [1, 2, 1];
const SOBEL_DERIVATIVE = [-1, 0, 1];
const LAPLACIAN = [0, 1, 0, 1, -4, 1, 0, 1, 0];

function separable(horizontal: readonly number[], vertical: readonly number[]): SeparableWeights {
  return {
    kind: "separable",
    radius: (horizontal.length - 1) / 2,
    horizontal: Float64Array.from(horizontal),
    vertical: Float64Array.from(vertical),
  };
}

/** exp(-x²/2σ²) for |x| <= radius, each divided by their sum (summed from left to right). */
function gaussian(sigma: number, radius: number): number[] {
  const w: number[] = [];
  for (let x = -radius; x <= radius; x++) w.push(Math.exp(-(x * x) / (2 * sigma * sigma)));
  const sum = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / sum);
}

/**
 * The weights of a kernel spec. Every kernel is a correlation: weight (row i, column j) multiplies the
 * input pixel at offset (i - ry, j - rx) from the output pixel, so `matrix[0][0]` weights the top-left
 * neighbour (as scipy.ndimage.correlate, OTB and GDAL's filter VRTs do; a convolution would flip it).
 * Sobel follows GDAL/OpenCV: x = [[-1,0,1],[-2,0,2],[-1,0,1]] (positive where values grow to the right),
 * y = its transpose (positive where values grow downwards). A matrix with `normalize` is divided by its
 * sum (summed row by row) unless that sum is zero (see `isZeroSum`).
 */
export function kernelWeights(k: KernelSpec): KernelWeights {
  if (k.gaussian) {
    const w = gaussian(k.gaussian.sigma, kernelRadius(k));
    return separable(w, w);
  }
  if (k.box) {
    const w = new Array<number>(k.box.size).fill(1 / k.box.size);
    return separable(w, w);
  }
  if (k.sobel === "x") return separable(SOBEL_DERIVATIVE, SOBEL_SMOOTH);
  if (k.sobel === "y") return separable(SOBEL_SMOOTH, SOBEL_DERIVATIVE);
  if (k.sobel === "magnitude") {
    return {
      kind: "magnitude",
      radius: 1,
      x: separable(SOBEL_DERIVATIVE, SOBEL_SMOOTH),
      y: separable(SOBEL_SMOOTH, SOBEL_DERIVATIVE),
    };
  }
  if (k.matrix) {
    const flat = Float64Array.from(k.matrix.flat());
    const rx = (k.matrix[0]!.length - 1) / 2;
    const ry = (k.matrix.length - 1) / 2;
    const sum = flat.reduce((a, b) => a + b, 0);
    if (k.normalize && !isZeroSum(flat, sum)) for (let i = 0; i < flat.length; i++) flat[i]! /= sum;
    return { kind: "direct", rx, ry, weights: flat };
  }
  return { kind: "direct", rx: 1, ry: 1, weights: Float64Array.from(LAPLACIAN) };
}

/**
 * Derivative-like kernels (sobel, laplacian, a matrix whose weights cancel) have no sum to renormalise
 * by; a sum below 1e-12 of the absolute weights counts as zero, so [0.1, 0.2, -0.3] is one of them.
 */
export function isZeroSum(weights: ArrayLike<number>, sum: number): boolean {
  let magnitude = 0;
  for (let i = 0; i < weights.length; i++) magnitude += Math.abs(weights[i]!);
  return Math.abs(sum) <= 1e-12 * magnitude;
}
