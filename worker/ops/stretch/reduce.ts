/**
 * The reduce half of `stretch`: every tile's partial merged once into per-band [lo, hi].
 *
 * Percentiles follow numpy's `np.percentile` default (method 'linear', Hyndman & Fan type 7): with the
 * n valid samples sorted as x[0..n-1], h = (n-1)·(p/100), lo/hi = x[⌊h⌋] + (h-⌊h⌋)·(x[⌊h⌋+1] - x[⌊h⌋]),
 * computed as numpy's _lerp does, so integer data gives numpy's float64 result bit for bit.
 *
 * Exactness: integer data whose tiles were all histogrammed one bin per value (always for 8/16-bit) and
 * whose global span is at most MERGE_SPAN values is merged exactly. Anything else (floats, wide 32-bit
 * integers) is merged onto MERGE_BINS equal bins over the global [min, max], each tile bin spread over
 * them in proportion to overlap; x[k] is then read at mid-rank k + 1/2 with linear interpolation inside a
 * bin. Every sample moves at most one tile bin plus one merge bin, so the error of x[k] is at most
 * (max - min)·(1/FLOAT_BINS + 1/MERGE_BINS) ≈ 6.2e-5 of the band's range; x[0] and x[n-1] (min/max) are exact.
 */
import { isIntegerType, type DataType } from "../../io/raster.ts";
import type { Partials } from "../kernel.ts";
import { decodePartial, FLOAT_BINS, type BandPartial } from "./histogram.ts";

export const MERGE_SPAN = 1 << 21;
export const MERGE_BINS = 1 << 20;

export interface StretchBounds {
  readonly lo: number;
  readonly hi: number;
}

interface Summary {
  count: number;
  min: number;
  max: number;
  exact: boolean;
}

/** x[k] of the merged band, for 0 <= k < n. */
type Ranked = (k: number) => number;

/** The percentile p (0..100) of n sorted samples, as np.percentile(method='linear'). */
export function percentile(x: Ranked, n: number, p: number): number {
  const h = (n - 1) * (p / 100);
  const k = Math.floor(h);
  const gamma = h - k;
  const a = x(k);
  const b = x(Math.min(k + 1, n - 1));
  const d = b - a;
  return gamma >= 0.5 ? b - d * (1 - gamma) : a + d * gamma;
}

/** A band's merged histogram, filled one tile partial at a time. */
interface Merge {
  add(t: BandPartial): void;
  ranked(): Ranked;
}

/** One bin per value over the band's [min, max]: exact. */
function exactMerge(s: Summary): Merge {
  const counts = new Float64Array(s.max - s.min + 1);
  return {
    add(t) {
      const offset = t.min - s.min;
      for (let i = 0; i < t.bins.length; i++) counts[offset + i]! += t.bins[i]!;
    },
    ranked: () => (k) => {
      let cum = 0;
      for (let i = 0; i < counts.length; i++) {
        cum += counts[i]!;
        if (cum > k) return s.min + i;
      }
      return s.max;
    },
  };
}

/**
 * MERGE_BINS equal bins over the band's [min, max], each tile bin spread over them by overlap. A tile bin
 * covers many merge bins (up to MERGE_BINS / FLOAT_BINS): its ends go to `counts`, the whole bins between
 * them to a difference array of densities (`steps`), summed once when ranking — O(1) per tile bin.
 */
function binnedMerge(s: Summary): Merge {
  const counts = new Float64Array(MERGE_BINS);
  const steps = new Float64Array(MERGE_BINS + 1);
  const scale = MERGE_BINS / (s.max - s.min);
  const last = MERGE_BINS - 1;
  const spread = (u0: number, u1: number, c: number) => {
    const a = Math.max(0, Math.floor(u0));
    const b = Math.floor(u1);
    if (b <= a || a >= last) {
      counts[a > last ? last : a]! += c;
      return;
    }
    const density = c / (u1 - u0);
    counts[a]! += density * (a + 1 - u0);
    if (b > a + 1) {
      steps[a + 1]! += density;
      steps[Math.min(b, MERGE_BINS)]! -= density;
    }
    counts[b > last ? last : b]! += density * (u1 - b);
  };
  return {
    add(t) {
      if (t.exact) {
        // Point masses: one value per bin (integers, or a constant tile).
        for (let i = 0; i < t.bins.length; i++) {
          if (t.bins[i] === 0) continue;
          const g = Math.floor((t.min + i - s.min) * scale);
          counts[g > last ? last : g]! += t.bins[i]!;
        }
        return;
      }
      const width = ((t.max - t.min) / FLOAT_BINS) * scale; // a tile bin, in merge bins
      const start = (t.min - s.min) * scale;
      for (let i = 0; i < t.bins.length; i++) {
        if (t.bins[i] !== 0) spread(start + i * width, start + (i + 1) * width, t.bins[i]!);
      }
    },
    ranked() {
      let density = 0;
      for (let g = 0; g < MERGE_BINS; g++) {
        density += steps[g]!;
        counts[g]! += density;
      }
      return (k) => {
        if (k === 0) return s.min;
        if (k === s.count - 1) return s.max;
        const target = k + 0.5;
        let cum = 0;
        for (let g = 0; g < MERGE_BINS; g++) {
          const c = counts[g]!;
          if (c > 0 && cum + c > target) {
            const v = s.min + (g + (target - cum) / c) / scale;
            return Math.min(s.max, Math.max(s.min, v));
          }
          cum += c;
        }
        return s.max;
      };
    },
  };
}

/**
 * Merge the partials into per-band bounds: the `low`/`high` percentiles, or min/max. Two passes over the
 * partials (min/max first, which sizes the merged histograms), holding one partial at a time; in task
 * order, so the float sums never depend on the number of workers.
 */
export async function reduceBounds(
  partials: Partials,
  bands: number,
  dataType: DataType,
  params: { readonly method: "percentile" | "minmax"; readonly low: number; readonly high: number },
): Promise<StretchBounds[]> {
  const summaries: Summary[] = Array.from({ length: bands }, () => ({
    count: 0,
    min: Infinity,
    max: -Infinity,
    exact: isIntegerType(dataType),
  }));
  let index = 0;
  for await (const bytes of partials()) {
    decodePartial(bytes, bands, `partial ${index++}`).forEach((t, b) => {
      if (t.count === 0) return;
      const s = summaries[b]!;
      s.count += t.count;
      s.min = Math.min(s.min, t.min);
      s.max = Math.max(s.max, t.max);
      s.exact &&= t.exact;
    });
  }
  const trivial = (s: Summary) => params.method === "minmax" || s.count === 0 || s.min === s.max;
  const merges = summaries.map((s) =>
    trivial(s) ? null : s.exact && s.max - s.min < MERGE_SPAN ? exactMerge(s) : binnedMerge(s),
  );
  if (merges.some((m) => m !== null)) {
    index = 0;
    for await (const bytes of partials()) {
      decodePartial(bytes, bands, `partial ${index++}`).forEach((t, b) => {
        if (t.count > 0) merges[b]?.add(t);
      });
    }
  }
  return summaries.map((s, b): StretchBounds => {
    if (s.count === 0) return { lo: 0, hi: 0 };
    const merge = merges[b];
    if (!merge) return { lo: s.min, hi: s.max };
    const x = merge.ranked();
    return { lo: percentile(x, s.count, params.low), hi: percentile(x, s.count, params.high) };
  });
}

export function encodeBounds(bounds: readonly StretchBounds[]): Uint8Array {
  const values = new Float64Array(bounds.flatMap((b) => [b.lo, b.hi]));
  return new Uint8Array(values.buffer);
}

export function decodeBounds(encoded: Uint8Array, bands: number): StretchBounds[] {
  const bytes = encoded.byteOffset % 8 === 0 ? encoded : encoded.slice();
  if (bytes.byteLength !== bands * 16)
    throw new Error(`stretch statistics of ${bytes.byteLength} bytes for ${bands} bands`);
  const values = new Float64Array(bytes.buffer, bytes.byteOffset, bands * 2);
  return Array.from({ length: bands }, (_, i) => ({ lo: values[2 * i]!, hi: values[2 * i + 1]! }));
}
