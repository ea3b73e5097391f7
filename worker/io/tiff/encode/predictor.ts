/**
 * Forward TIFF predictors for one pixel-interleaved tile before compression (the inverse of what
 * readers undo). Rows are whole tile rows, padding included, as libtiff does.
 */
import type { TypedArray } from "../../raster.ts";

/**
 * Interleave bands (rows of `srcStride` samples, `width`x`height` of them used) into a `tileSize`²
 * tile of `bands.length` samples per pixel, the rest `fill` (a value `out` can hold). With
 * `difference`, store predictor 2 at once: each sample minus the same band's sample to its left,
 * which typed-array stores wrap as TIFF expects; padding is then `fill` − the last sample once and 0
 * after it. Row by row, so each output row is still in cache when the next band fills it.
 */
export function interleaveBands(
  bands: readonly TypedArray[],
  srcStride: number,
  width: number,
  height: number,
  out: TypedArray,
  tileSize: number,
  fill: number,
  difference: boolean,
): void {
  const spp = bands.length;
  const rowSamples = tileSize * spp;
  const padAfter = difference ? 0 : fill;
  for (let y = 0; y < tileSize; y++) {
    const row = y * srcStride;
    const used = y < height ? width : 0;
    for (let b = 0; b < spp; b++) {
      const src = bands[b]!;
      let o = y * rowSamples + b;
      const end = o - b + rowSamples;
      let prev = 0;
      if (difference) {
        for (let x = row; x < row + used; x++, o += spp) {
          const v = src[x]!;
          out[o] = v - prev;
          prev = v;
        }
      } else {
        for (let x = row; x < row + used; x++, o += spp) out[o] = src[x]!;
      }
      if (o < end) {
        out[o] = difference ? fill - prev : fill;
        for (o += spp; o < end; o += spp) out[o] = padAfter;
      }
    }
  }
}

/**
 * Predictor 3 (floating point): per row, split the samples' bytes into planes, most significant first,
 * then difference bytes with a stride of one pixel (libtiff's fpDiff on a little-endian host).
 */
export function floatingPointDifference(
  bytes: Uint8Array,
  rowSamples: number,
  samplesPerPixel: number,
  bytesPerSample: number,
): void {
  const rowBytes = rowSamples * bytesPerSample;
  const tmp = new Uint8Array(rowBytes);
  for (let start = 0; start < bytes.length; start += rowBytes) {
    tmp.set(bytes.subarray(start, start + rowBytes));
    for (let b = 0; b < bytesPerSample; b++) {
      const plane = start + (bytesPerSample - 1 - b) * rowSamples;
      for (let s = 0, src = b; s < rowSamples; s++, src += bytesPerSample) bytes[plane + s] = tmp[src]!;
    }
    for (let i = start + rowBytes - 1; i >= start + samplesPerPixel; i--) {
      bytes[i] = bytes[i]! - bytes[i - samplesPerPixel]!;
    }
  }
}
