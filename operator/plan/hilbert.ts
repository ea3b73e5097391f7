/**
 * Tiles of a cols x rows grid in Hilbert-curve order: consecutive tiles are neighbours, so any run of
 * the order is a compact spatial block (small perimeter = few halo edges leave it).
 */
export interface TileOrder {
  /** position in the order → row-major tile index */
  readonly tileOf: Uint32Array;
  /** row-major tile index → position in the order */
  readonly rankOf: Uint32Array;
}

/** Hilbert index of (x, y) on a side x side square, side a power of two (the classic xy2d). */
export function hilbertIndex(side: number, x: number, y: number): number {
  let d = 0;
  for (let s = side >>> 1; s > 0; s >>>= 1) {
    const rx = (x & s) > 0 ? 1 : 0;
    const ry = (y & s) > 0 ? 1 : 0;
    d += s * s * ((3 * rx) ^ ry);
    if (ry === 0) {
      if (rx === 1) {
        x = side - 1 - x;
        y = side - 1 - y;
      }
      const t = x;
      x = y;
      y = t;
    }
  }
  return d;
}

const INDEX_BITS = 2 ** 23;

export function hilbertOrder(cols: number, rows: number): TileOrder {
  const n = cols * rows;
  let side = 1;
  while (side < cols || side < rows) side *= 2;
  if (side > 32768 || n > INDEX_BITS)
    throw new RangeError(`a ${cols}x${rows} tile grid is too large to order`);
  // key * 2^23 + index stays exact in a double: one numeric sort, no comparator calls.
  const keys = new Float64Array(n);
  for (let r = 0, i = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++, i++) keys[i] = hilbertIndex(side, c, r) * INDEX_BITS + i;
  }
  keys.sort();
  const tileOf = new Uint32Array(n);
  const rankOf = new Uint32Array(n);
  for (let p = 0; p < n; p++) {
    const tile = keys[p]! % INDEX_BITS;
    tileOf[p] = tile;
    rankOf[tile] = p;
  }
  return { tileOf, rankOf };
}
