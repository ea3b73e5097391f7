import type { TypedArray, Window } from "../../io/raster.ts";
import type { ConvolveParams } from "../convolve.ts";

export type Border = ConvolveParams["border"];

/**
 * The image index that index `i` (any integer) of a line of `n` pixels reads, or -1 for the constant.
 * - reflect: mirrored about the edge pixel without repeating it (d c b | a b c d | c b a), OpenCV's
 *   BORDER_REFLECT_101 (its and GDAL's filtering default; scipy.ndimage calls it 'mirror'); folded again
 *   as often as needed, so a kernel wider than the image still reads image pixels.
 * - edge: the edge pixel repeated (a a a | a b c d | d d d).
 * - constant: -1 outside the image.
 */
export function borderIndex(i: number, n: number, border: Border): number {
  if (i >= 0 && i < n) return i;
  if (border === "edge") return i < 0 ? 0 : n - 1;
  if (border === "reflect") {
    if (n === 1) return 0;
    const period = 2 * (n - 1);
    const m = ((i % period) + period) % period;
    return m < n ? m : period - m;
  }
  return -1;
}

/** Where the padded plane of one output window reads from the input block: one index per column and row. */
export interface PadMap {
  /** Padded column → column in the block, or -1 for the constant. */
  readonly cols: Int32Array;
  /** Padded row → row in the block, or -1 for the constant. */
  readonly rows: Int32Array;
  readonly constant: number;
  /** Padded columns [inside, inside + insideLength) read consecutive block columns from cols[inside]. */
  readonly inside: number;
  readonly insideLength: number;
}

function axisMap(
  axis: "column" | "row",
  start: number,
  length: number,
  n: number,
  from: number,
  available: number,
  border: Border,
) {
  const map = new Int32Array(length);
  for (let p = 0; p < length; p++) {
    const i = borderIndex(start + p, n, border);
    if (i >= 0 && (i < from || i >= from + available)) {
      throw new RangeError(
        `convolve: input ${axis} ${i} (read for ${start + p}) is outside the block's ${axis}s [${from}, ${from + available})`,
      );
    }
    map[p] = i < 0 ? -1 : i - from;
  }
  return map;
}

/**
 * The padded plane of `out` grown by (rx, ry) reads image pixels through the border rule from a block
 * at `block` of an image `imageWidth` x `imageHeight`. Each padded pixel depends only on its image
 * position, never on the tile, which is what makes tiles agree bit for bit.
 */
export function padMap(
  out: Window,
  rx: number,
  ry: number,
  block: Window,
  imageWidth: number,
  imageHeight: number,
  border: Border,
): PadMap {
  const start = out.x - rx;
  const inside = Math.max(0, -start);
  const insideEnd = Math.max(inside, Math.min(out.width + 2 * rx, imageWidth - start));
  return {
    cols: axisMap("column", start, out.width + 2 * rx, imageWidth, block.x, block.width, border),
    rows: axisMap("row", out.y - ry, out.height + 2 * ry, imageHeight, block.y, block.height, border),
    constant: typeof border === "object" ? border.constant : 0,
    inside,
    insideLength: insideEnd - inside,
  };
}

/** Fill `plane` (cols x rows of `map`) from one band of the block (`blockWidth` samples a row). */
export function fillPlane(plane: Float64Array, src: TypedArray, blockWidth: number, map: PadMap): void {
  const { cols, rows, constant, inside, insideLength } = map;
  const pw = cols.length;
  for (let py = 0; py < rows.length; py++) {
    const o = py * pw;
    const r = rows[py]!;
    if (r < 0) {
      plane.fill(constant, o, o + pw);
      continue;
    }
    const s = r * blockWidth;
    for (let px = 0; px < inside; px++) plane[o + px] = cols[px]! < 0 ? constant : src[s + cols[px]!]!;
    if (insideLength > 0) {
      const from = s + cols[inside]!;
      plane.set(src.subarray(from, from + insideLength), o + inside);
    }
    for (let px = inside + insideLength; px < pw; px++) {
      plane[o + px] = cols[px]! < 0 ? constant : src[s + cols[px]!]!;
    }
  }
}
