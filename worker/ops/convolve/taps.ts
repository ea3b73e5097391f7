import { tapPass, tapsOf, type Taps } from "./passes.ts";
import { PLANE_ACROSS, workPlane } from "./scratch.ts";
import { isZeroSum, type KernelWeights, type SeparableWeights } from "./weights.ts";

/** One output tile's planes: the padded input (pw x ph, nodata zeroed), its validity mask, the output (w x h). */
export interface Planes {
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

/**
 * A separable kernel's taps for one tile: `across` the padded rows, `down` the intermediate rows
 * (`width` apart), `rows` the same vertical taps over the padded plane (`pw` apart) for one pixel at a
 * time; `sum` is the kernel's sum taken in the order the passes take it.
 */
export interface SeparableTaps {
  readonly across: Taps;
  readonly down: Taps;
  readonly rows: Taps;
  readonly sum: number;
  readonly zeroSum: boolean;
}

export type TileTaps =
  | ({ readonly kind: "separable" } & SeparableTaps)
  | { readonly kind: "direct"; readonly taps: Taps; readonly sum: number; readonly zeroSum: boolean }
  | { readonly kind: "magnitude"; readonly x: SeparableTaps; readonly y: SeparableTaps };

function sumOf(w: Float64Array): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += w[i]!;
  return s;
}

function separableTaps(w: SeparableWeights, width: number, pw: number): SeparableTaps {
  const across = tapsOf(w.horizontal, w.horizontal.length, 0);
  const down = tapsOf(w.vertical, 1, width);
  // the passes over a neighbourhood of ones: Σ across first, then Σ down of that, both from +0
  const row = sumOf(across.weights);
  let sum = 0;
  for (let k = 0; k < down.weights.length; k++) sum += down.weights[k]! * row;
  const zeroSum = isZeroSum(w.horizontal, sumOf(w.horizontal)) || isZeroSum(w.vertical, sumOf(w.vertical));
  return { across, down, rows: tapsOf(w.vertical, 1, pw), sum, zeroSum };
}

/** The kernel laid out for a tile whose output is `width` wide and whose padded plane is `pw` wide. */
export function tileTaps(w: KernelWeights, width: number, pw: number): TileTaps {
  if (w.kind === "separable") return { kind: "separable", ...separableTaps(w, width, pw) };
  if (w.kind === "magnitude") {
    return { kind: "magnitude", x: separableTaps(w.x, width, pw), y: separableTaps(w.y, width, pw) };
  }
  const taps = tapsOf(w.weights, 2 * w.rx + 1, pw);
  const sum = sumOf(taps.weights);
  return { kind: "direct", taps, sum, zeroSum: isZeroSum(w.weights, sum) };
}

/** A separable kernel over the padded plane `src` (a tile's input or mask): across, then down. */
export function separable(t: SeparableTaps, p: Planes, src: Float64Array, dst: Float64Array): void {
  const across = workPlane(PLANE_ACROSS, p.width * p.ph);
  tapPass(src, p.pw, p.width, p.ph, t.across, across);
  tapPass(across, p.width, p.width, p.height, t.down, dst);
}
