/**
 * The partial statistics of one tile: per band, the count, min and max of its valid samples and a
 * histogram. Integer samples spanning at most EXACT_SPAN values get one bin per value (exact); anything
 * else (floats, wide 32-bit integers) gets FLOAT_BINS equal bins over the tile's own [min, max].
 *
 * Encoding (host = little-endian order): a Float64Array header of HEADER numbers per band
 * [count, min, max, bins, exact], then each band's bin counts as Uint32 (a tile has < 2^32 pixels).
 */
import { isIntegerType, type Block, type DataType, type TypedArray } from "../../io/raster.ts";

/** 16-bit data always fits: one bin per value. */
export const EXACT_SPAN = 65536;
/** Bins of an inexact tile histogram: 64 KiB per band, a bin width of 1/16384 of the tile's range. */
export const FLOAT_BINS = 16384;
export const HEADER = 5;

export interface BandPartial {
  readonly count: number;
  readonly min: number;
  readonly max: number;
  /** exact: bin i holds the value min + i; otherwise bin i covers [min + i·w, min + (i+1)·w), w = (max-min)/bins. */
  readonly exact: boolean;
  readonly bins: Uint32Array;
}

/** Whether a sample counts: not NaN and not the band's nodata sample (see nodataSample). */
function isValid(v: number, nodata: number | null): boolean {
  return v === v && v !== nodata;
}

function bandPartial(data: TypedArray, dataType: DataType, nodata: number | null): BandPartial {
  let count = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!isValid(v, nodata)) continue;
    count++;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (count === 0) return { count, min: 0, max: 0, exact: true, bins: new Uint32Array(0) };
  const exact = min === max || (isIntegerType(dataType) && max - min < EXACT_SPAN);
  if (exact) {
    const bins = new Uint32Array(max - min + 1);
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (isValid(v, nodata)) bins[v - min]!++;
    }
    return { count, min, max, exact, bins };
  }
  const bins = new Uint32Array(FLOAT_BINS);
  const scale = FLOAT_BINS / (max - min);
  const last = FLOAT_BINS - 1;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!isValid(v, nodata)) continue;
    const b = Math.floor((v - min) * scale);
    bins[b > last ? last : b]!++;
  }
  return { count, min, max, exact, bins };
}

/** The partial of one tile (`nodata` is the sample to skip, as nodataSample gives it). */
export function tilePartial(block: Block, nodata: number | null): BandPartial[] {
  return block.bands.map((band) => bandPartial(band, block.dataType, nodata));
}

export function encodePartial(bands: readonly BandPartial[]): Uint8Array {
  const headerBytes = bands.length * HEADER * 8;
  const total = bands.reduce((n, b) => n + b.bins.length * 4, headerBytes);
  const bytes = new Uint8Array(total);
  const header = new Float64Array(bytes.buffer, 0, bands.length * HEADER);
  let offset = headerBytes;
  bands.forEach((b, i) => {
    header.set([b.count, b.min, b.max, b.bins.length, b.exact ? 1 : 0], i * HEADER);
    new Uint32Array(bytes.buffer, offset, b.bins.length).set(b.bins);
    offset += b.bins.length * 4;
  });
  return bytes;
}

export function decodePartial(encoded: Uint8Array, bands: number, where: string): BandPartial[] {
  // Float64 and Uint32 views need aligned bytes; a buffer from elsewhere may not be.
  const bytes = encoded.byteOffset % 8 === 0 ? encoded : encoded.slice();
  const headerBytes = bands * HEADER * 8;
  if (bytes.byteLength < headerBytes) throw new Error(`${where}: a partial of ${bytes.byteLength} bytes`);
  const header = new Float64Array(bytes.buffer, bytes.byteOffset, bands * HEADER);
  let offset = headerBytes;
  const out: BandPartial[] = [];
  for (let i = 0; i < bands; i++) {
    const [count, min, max, n, exact] = header.subarray(i * HEADER, (i + 1) * HEADER);
    if (offset + n! * 4 > bytes.byteLength) throw new Error(`${where}: band ${i + 1}'s bins are cut short`);
    const bins = new Uint32Array(bytes.buffer, bytes.byteOffset + offset, n!);
    out.push({ count: count!, min: min!, max: max!, exact: exact === 1, bins });
    offset += n! * 4;
  }
  return out;
}
