/**
 * PNG row filtering (ISO/IEC 15948 §9): each row is stored as a filter type byte followed by the row's
 * bytes predicted from their left (a), upper (b) and upper-left (c) neighbours, one pixel (bpp bytes) away.
 */

export const FILTER_NONE = 0;
export const FILTER_SUB = 1;
export const FILTER_UP = 2;
export const FILTER_AVERAGE = 3;
export const FILTER_PAETH = 4;

/** The Paeth predictor: whichever of a, b, c is closest to a + b - c (ties: a, then b). */
export function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = p > a ? p - a : a - p;
  const pb = p > b ? p - b : b - p;
  const pc = p > c ? p - c : c - p;
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

/** |x| of a filtered byte read as a signed byte: the spec's minimum-sum-of-absolute-differences heuristic. */
function cost(x: number): number {
  const v = x & 255;
  return v < 128 ? v : 256 - v;
}

/** The filter type whose output row has the smallest cost; the lowest type wins ties, so bytes are stable. */
function bestFilter(row: Uint8Array, prev: Uint8Array, bpp: number): number {
  let none = 0;
  let sub = 0;
  let up = 0;
  let avg = 0;
  let pth = 0;
  for (let i = 0; i < row.length; i++) {
    const x = row[i]!;
    const b = prev[i]!;
    const a = i >= bpp ? row[i - bpp]! : 0;
    const c = i >= bpp ? prev[i - bpp]! : 0;
    none += x < 128 ? x : 256 - x;
    sub += cost(x - a);
    up += cost(x - b);
    avg += cost(x - ((a + b) >> 1));
    pth += cost(x - paeth(a, b, c));
  }
  const costs = [none, sub, up, avg, pth];
  let type = FILTER_NONE;
  for (let t = FILTER_SUB; t <= FILTER_PAETH; t++) if (costs[t]! < costs[type]!) type = t;
  return type;
}

function applyFilter(
  type: number,
  row: Uint8Array,
  prev: Uint8Array,
  bpp: number,
  out: Uint8Array,
  at: number,
): void {
  const n = row.length;
  switch (type) {
    case FILTER_NONE:
      out.set(row, at);
      return;
    case FILTER_SUB:
      for (let i = 0; i < n; i++) out[at + i] = row[i]! - (i >= bpp ? row[i - bpp]! : 0);
      return;
    case FILTER_UP:
      for (let i = 0; i < n; i++) out[at + i] = row[i]! - prev[i]!;
      return;
    case FILTER_AVERAGE:
      for (let i = 0; i < n; i++) out[at + i] = row[i]! - (((i >= bpp ? row[i - bpp]! : 0) + prev[i]!) >> 1);
      return;
    default:
      for (let i = 0; i < n; i++) {
        const a = i >= bpp ? row[i - bpp]! : 0;
        const c = i >= bpp ? prev[i - bpp]! : 0;
        out[at + i] = row[i]! - paeth(a, prev[i]!, c);
      }
  }
}

/**
 * Filter every row of 8-bit interleaved pixels (`bpp` bytes per pixel), choosing per row the filter
 * with the smallest sum of absolute differences. Returns height × (1 + width × bpp) bytes, ready to deflate.
 */
export function filterRows(pixels: Uint8Array, width: number, height: number, bpp: number): Uint8Array {
  const stride = width * bpp;
  const out = new Uint8Array(height * (stride + 1));
  const zero = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const row = pixels.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : zero;
    const type = bestFilter(row, prev, bpp);
    const at = y * (stride + 1);
    out[at] = type;
    applyFilter(type, row, prev, bpp, out, at + 1);
  }
  return out;
}
