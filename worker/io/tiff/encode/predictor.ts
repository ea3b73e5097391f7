/**
 * Forward TIFF predictors, applied in place to one pixel-interleaved tile before compression
 * (the inverse of what readers undo). Rows are whole tile rows, padding included, as libtiff does.
 */
import type { TypedArray } from "../../raster.ts";

/** Predictor 2: each sample minus the same band's sample to its left; typed-array stores wrap as TIFF expects. */
export function horizontalDifference(samples: TypedArray, rowSamples: number, samplesPerPixel: number): void {
  for (let start = 0; start < samples.length; start += rowSamples) {
    for (let i = start + rowSamples - 1; i >= start + samplesPerPixel; i--) {
      samples[i] = (samples[i]! as number) - (samples[i - samplesPerPixel]! as number);
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
