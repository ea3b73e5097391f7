/**
 * Which pixels count and how values map to 0..255: a validity mask (nodata, NaN and infinities are not
 * data), percentiles of the valid values, and the linear stretch of a value range onto 8 bits.
 */
import type { DataType, TypedArray } from "../raster.ts";

/** The value that marks nodata as it reads back from a band of this type (float32 holds it rounded). */
function nodataAsStored(nodata: number | null, dataType: DataType): number {
  if (nodata === null) return NaN; // compares unequal to everything
  return dataType === "float32" ? Math.fround(nodata) : nodata;
}

/** 1 where every band holds a finite value other than nodata, else 0. */
export function validMask(
  bands: readonly TypedArray[],
  dataType: DataType,
  nodata: number | null,
): Uint8Array {
  const nd = nodataAsStored(nodata, dataType);
  const mask = new Uint8Array(bands[0]!.length).fill(1);
  for (const band of bands) {
    for (let i = 0; i < band.length; i++) {
      const v = band[i]!;
      if (v === nd || !Number.isFinite(v)) mask[i] = 0;
    }
  }
  return mask;
}

/**
 * Partially order a[lo..hi] so that a[k] holds the value it would have sorted, nothing greater before it
 * and nothing smaller after it (Hoare's selection, median-of-three pivot): linear time on average.
 */
function select(a: Float64Array, k: number, lo: number, hi: number): void {
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    const x = Math.max(Math.min(a[lo]!, a[m]!), Math.min(Math.max(a[lo]!, a[m]!), a[hi]!));
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < x) i++;
      while (x < a[j]!) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i++] = a[j]!;
        a[j--] = t;
      }
    }
    if (j < k) lo = i;
    if (k < i) hi = j;
  }
}

/** Offsets that make 8- and 16-bit samples non-negative histogram bins; other types are selected instead. */
const HISTOGRAM_OFFSET: Partial<Record<DataType, number>> = { uint8: 0, int8: 128, uint16: 0, int16: 32768 };

/** The value of each (ascending) rank among the valid values, from a histogram: linear time, exact. */
function ranksByHistogram(band: TypedArray, mask: Uint8Array, offset: number, ranks: number[]): number[] {
  const counts = new Uint32Array(65536);
  for (let i = 0; i < band.length; i++) if (mask[i]) counts[band[i]! + offset]!++;
  const out: number[] = [];
  let seen = 0;
  let bin = -1;
  for (const r of ranks) {
    while (seen <= r) seen += counts[++bin]!;
    out.push(bin - offset);
  }
  return out;
}

/** The value of each (ascending) rank among the valid values, by repeated selection. */
function ranksBySelection(band: TypedArray, mask: Uint8Array, n: number, ranks: number[]): number[] {
  const values = new Float64Array(n);
  for (let i = 0, k = 0; i < band.length; i++) if (mask[i]) values[k++] = band[i]!;
  let from = 0;
  return ranks.map((k) => {
    // Selections for ascending ranks narrow down: everything before an earlier k is no greater.
    select(values, k, from, n - 1);
    from = k;
    return values[k]!;
  });
}

/**
 * The p-th percentiles (0..100, ascending) of the valid values, interpolated linearly between the closest
 * ranks (numpy's default, so they can be checked there); null when no pixel is valid.
 */
export function percentiles(
  band: TypedArray,
  dataType: DataType,
  mask: Uint8Array,
  ps: readonly number[],
): number[] | null {
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i]!;
  if (n === 0) return null;
  const ranks = ps.flatMap((p) => {
    const k = Math.floor((p / 100) * (n - 1));
    return [k, Math.min(k + 1, n - 1)];
  });
  const offset = HISTOGRAM_OFFSET[dataType];
  const values =
    offset === undefined
      ? ranksBySelection(band, mask, n, ranks)
      : ranksByHistogram(band, mask, offset, ranks);
  return ps.map((p, i) => {
    const f = (p / 100) * (n - 1) - ranks[2 * i]!;
    return values[2 * i]! + (values[2 * i + 1]! - values[2 * i]!) * f;
  });
}

/**
 * Map band values onto 0..255 (min → 0, max → 255, clamped, rounded half up) into `out`, every `step`
 * bytes from `offset`; invalid pixels are left alone. A degenerate range (max ≤ min) splits at min.
 */
export function stretchInto(
  band: TypedArray,
  mask: Uint8Array,
  min: number,
  max: number,
  out: Uint8Array,
  offset: number,
  step: number,
): void {
  const scale = max > min ? 255 / (max - min) : 0;
  for (let i = 0, o = offset; i < band.length; i++, o += step) {
    if (!mask[i]) continue;
    const v = band[i]!;
    const t = scale > 0 ? (v - min) * scale : v > min ? 255 : 0;
    out[o] = t <= 0 ? 0 : t >= 255 ? 255 : (t + 0.5) | 0;
  }
}
