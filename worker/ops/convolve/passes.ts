/**
 * The inner loops of convolve, on float64 planes. Each output pixel is a sum started at +0 and taken in
 * a fixed tap order (left to right, then top to bottom; taps whose weight is zero are skipped), so its
 * value depends only on its neighbourhood, never on the tile it was computed in. Loops run row by row
 * and tap by tap over contiguous runs: no allocation, no branches in the innermost loop. Every pass
 * zeroes each row of `dst` before summing into it, so `dst` may hold anything before.
 */

/**
 * One output row: dst[o + x] = Σ taps w·src[base + offset + x] for x < width, taps in order. Taps go four
 * at a time through the row ((((d + a) + b) + c) + e is the order of four single += steps: same bits,
 * a quarter of the loads and stores of dst).
 */
function accumulate(
  src: Float64Array,
  base: number,
  offsets: Int32Array,
  weights: Float64Array,
  width: number,
  dst: Float64Array,
  o: number,
): void {
  dst.fill(0, o, o + width);
  const n = offsets.length;
  let t = 0;
  for (; t + 4 <= n; t += 4) {
    const wa = weights[t]!;
    const wb = weights[t + 1]!;
    const wc = weights[t + 2]!;
    const wd = weights[t + 3]!;
    const sa = base + offsets[t]! - o;
    const sb = base + offsets[t + 1]! - o;
    const sc = base + offsets[t + 2]! - o;
    const sd = base + offsets[t + 3]! - o;
    for (let i = o; i < o + width; i++) {
      dst[i] = dst[i]! + wa * src[sa + i]! + wb * src[sb + i]! + wc * src[sc + i]! + wd * src[sd + i]!;
    }
  }
  for (; t < n; t++) {
    const wt = weights[t]!;
    const s = base + offsets[t]! - o;
    for (let i = o; i < o + width; i++) dst[i]! += wt * src[s + i]!;
  }
}

/** The non-zero taps of a kernel as offsets into the plane it reads, in the order they are summed. */
export interface Taps {
  readonly offsets: Int32Array;
  readonly weights: Float64Array;
}

/** Taps of a rows x cols kernel (row-major) reading a plane `pw` wide; a 1-D kernel is one row, or one column with cols = 1. */
export function tapsOf(weights: Float64Array, cols: number, pw: number): Taps {
  const offsets: number[] = [];
  const kept: number[] = [];
  weights.forEach((w, i) => {
    if (w === 0) return;
    offsets.push(Math.floor(i / cols) * pw + (i % cols));
    kept.push(w);
  });
  return { offsets: Int32Array.from(offsets), weights: Float64Array.from(kept) };
}

/**
 * dst (width x height) from src (`pw` wide): dst[y][x] = Σ taps w·src[y·pw + offset + x]. A horizontal
 * pass is a one-row kernel, a vertical pass a one-column kernel, a 2-D kernel its rows in turn.
 */
export function tapPass(
  src: Float64Array,
  pw: number,
  width: number,
  height: number,
  taps: Taps,
  dst: Float64Array,
): void {
  for (let y = 0; y < height; y++) accumulate(src, y * pw, taps.offsets, taps.weights, width, dst, y * width);
}
