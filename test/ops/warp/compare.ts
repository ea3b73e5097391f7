import type { TypedArray } from "../../../worker/io/raster.ts";

export interface DiffStats {
  /** Pixels compared (both valid and at least `edge` pixels away from any nodata pixel of either). */
  readonly compared: number;
  readonly mean: number;
  readonly max: number;
  /** Compared pixels that differ at all. */
  readonly differing: number;
  /** Pixels valid in one and nodata in the other, anywhere. */
  readonly validityMismatch: number;
}

/** Differences between two single-band images of `width` x `height` with the same nodata value. */
export function diffStats(
  a: TypedArray,
  b: TypedArray,
  width: number,
  height: number,
  nodata: number,
  edge = 2,
): DiffStats {
  const near = new Uint8Array(width * height);
  let validityMismatch = 0;
  for (let i = 0; i < width * height; i++) {
    const na = a[i] === nodata;
    const nb = b[i] === nodata;
    if (na !== nb) validityMismatch++;
    if (!na && !nb) continue;
    const x = i % width;
    const y = (i - x) / width;
    for (let dy = -edge; dy <= edge; dy++) {
      for (let dx = -edge; dx <= edge; dx++) {
        const xx = x + dx;
        const yy = y + dy;
        if (xx >= 0 && yy >= 0 && xx < width && yy < height) near[yy * width + xx] = 1;
      }
    }
  }
  let compared = 0;
  let sum = 0;
  let max = 0;
  let differing = 0;
  for (let i = 0; i < width * height; i++) {
    if (near[i]) continue;
    const d = Math.abs(a[i]! - b[i]!);
    compared++;
    sum += d;
    if (d > 0) differing++;
    max = Math.max(max, d);
  }
  return { compared, mean: compared ? sum / compared : 0, max, differing, validityMismatch };
}
