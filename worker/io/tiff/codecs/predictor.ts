import type { TypedArray } from "../../raster.ts";

/**
 * Undo TIFF predictor 2 (horizontal differencing) on host-order samples: each sample adds the one
 * `stride` samples before it in the same row (stride = samples per pixel when pixel-interleaved).
 * Integer typed arrays wrap exactly like libtiff's unsigned arithmetic.
 */
export function undoHorizontal(samples: TypedArray, rowSamples: number, rows: number, stride: number): void {
  for (let r = 0; r < rows; r++) {
    const start = r * rowSamples;
    const end = start + rowSamples;
    for (let i = start + stride; i < end; i++) samples[i]! += samples[i - stride]!;
  }
}

/**
 * Undo TIFF predictor 3 (floating point, Adobe tech note 3): per row the bytes were split into
 * planes (most significant plane first) and then byte-differenced; accumulate, then re-interleave
 * the planes in reverse, which yields little-endian samples for a little-endian file (big-endian
 * files need a byte swap afterwards).
 */
export function undoFloatingPoint(
  bytes: Uint8Array,
  rowSamples: number,
  rows: number,
  stride: number,
  bytesPerSample: number,
): void {
  const rowBytes = rowSamples * bytesPerSample;
  const scratch = new Uint8Array(rowBytes);
  for (let r = 0; r < rows; r++) {
    const row = bytes.subarray(r * rowBytes, (r + 1) * rowBytes);
    for (let i = stride; i < rowBytes; i++) row[i] = (row[i]! + row[i - stride]!) & 255;
    scratch.set(row);
    for (let b = 0; b < bytesPerSample; b++) {
      const plane = (bytesPerSample - 1 - b) * rowSamples;
      for (let s = 0, o = b; s < rowSamples; s++, o += bytesPerSample) row[o] = scratch[plane + s]!;
    }
  }
}
