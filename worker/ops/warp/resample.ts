import { INTEGER_RANGE, type Block, type DataType, type TypedArray } from "../../io/raster.ts";

/**
 * Sampling a raster block at fractional pixel positions, with GDAL's warp-kernel conventions so that
 * results compare with gdalwarp: positions are continuous pixel coordinates (pixel (c, r) covers
 * [c, c+1) x [r, r+1), its centre is (c+0.5, r+0.5)); a position is sampled only when it falls inside
 * the source and the pixel containing it is valid; other nodata taps are left out and the remaining
 * weights renormalised; cubic (Keys, a = -0.5)
 * falls back to bilinear at the borders and where a tap is nodata; integers are rounded half up and
 * saturated.
 */
export type Resampling = "nearest" | "bilinear" | "cubic";

/** The pixels that can be read: a block and where it lies in its raster's grid. */
export interface SampleSource {
  readonly block: Block;
  /** Top-left pixel of `block` in the source grid. */
  readonly x: number;
  readonly y: number;
  /** Source nodata; NaN samples of float data are never valid either. */
  readonly nodata: number | null;
}

/** Where samples go: one array per band, written at `offset + i` for the i-th position. */
export interface SampleTarget {
  readonly bands: readonly TypedArray[];
  readonly dataType: DataType;
  /** Written where a position has no valid sample (outside the source, or only nodata around it). */
  readonly nodata: number;
}

/** Below this total weight a bilinear sample has no valid tap (GDAL's threshold). */
const MIN_WEIGHT = 0.000001;

/**
 * Sample every band of `src` at (xs[i], ys[i]) in source-grid pixel coordinates, for i < count, into
 * `target.bands[b][offset + i]`. Bands beyond `target.bands.length` are skipped.
 */
export function resamplePoints(
  method: Resampling,
  src: SampleSource,
  xs: Float64Array,
  ys: Float64Array,
  target: SampleTarget,
  offset = 0,
  count = xs.length,
): void {
  const store = storer(target.dataType);
  const bands = src.block.bands.slice(0, target.bands.length);
  const out = target.bands;
  const { width: w, height: h } = src.block;
  const nd = src.nodata;
  for (let i = 0; i < count; i++) {
    const x = xs[i]! - src.x;
    const y = ys[i]! - src.y;
    const o = offset + i;
    if (!(x >= 0 && y >= 0 && x < w && y < h)) {
      for (let b = 0; b < out.length; b++) out[b]![o] = target.nodata;
      continue;
    }
    if (method === "nearest") {
      const p = Math.floor(y + 1e-10) * w + Math.floor(x + 1e-10);
      for (let b = 0; b < out.length; b++) {
        const v = bands[b]![p]!;
        out[b]![o] = v !== v || v === nd ? target.nodata : v;
      }
      continue;
    }
    // GDAL samples a position only when the pixel containing it is valid (checked per band below)
    const centre = Math.floor(y) * w + Math.floor(x);
    const sx = x - 0.5;
    const sy = y - 0.5;
    const ix = Math.floor(sx);
    const iy = Math.floor(sy);
    const fx = sx - ix;
    const fy = sy - iy;
    if (method === "cubic" && ix >= 1 && iy >= 1 && ix + 2 < w && iy + 2 < h) {
      const wx0 = 0.5 * fx * (-1 + fx * (2 - fx));
      const wx1 = 1 + 0.5 * fx * fx * (-5 + 3 * fx);
      const wx2 = 0.5 * fx * (1 + fx * (4 - 3 * fx));
      const wx3 = 0.5 * fx * fx * (fx - 1);
      const wy0 = 0.5 * fy * (-1 + fy * (2 - fy));
      const wy1 = 1 + 0.5 * fy * fy * (-5 + 3 * fy);
      const wy2 = 0.5 * fy * (1 + fy * (4 - 3 * fy));
      const wy3 = 0.5 * fy * fy * (fy - 1);
      const p0 = (iy - 1) * w + ix - 1;
      for (let b = 0; b < out.length; b++) {
        const a = bands[b]!;
        const cv = a[centre]!;
        if (cv !== cv || cv === nd) {
          out[b]![o] = target.nodata;
          continue;
        }
        let sum = 0;
        let valid = true;
        for (let r = 0, p = p0; r < 4; r++, p += w) {
          const v0 = a[p]!;
          const v1 = a[p + 1]!;
          const v2 = a[p + 2]!;
          const v3 = a[p + 3]!;
          if (nd !== null && (v0 === nd || v1 === nd || v2 === nd || v3 === nd)) valid = false;
          const row = wx0 * v0 + wx1 * v1 + wx2 * v2 + wx3 * v3;
          sum += (r === 0 ? wy0 : r === 1 ? wy1 : r === 2 ? wy2 : wy3) * row;
        }
        // NaN taps make sum NaN: like nodata taps, they send this band to the renormalised bilinear
        const v = valid && sum === sum ? sum : bilinear(a, w, h, ix, iy, fx, fy, nd);
        store(out[b]!, o, v, target.nodata);
      }
      continue;
    }
    for (let b = 0; b < out.length; b++) {
      const a = bands[b]!;
      const cv = a[centre]!;
      store(out[b]!, o, cv !== cv || cv === nd ? NaN : bilinear(a, w, h, ix, iy, fx, fy, nd), target.nodata);
    }
  }
}

/** Bilinear value of one band from the taps (ix, iy)..(ix+1, iy+1) that exist and are valid; NaN if none. */
function bilinear(
  a: TypedArray,
  w: number,
  h: number,
  ix: number,
  iy: number,
  fx: number,
  fy: number,
  nd: number | null,
): number {
  let sum = 0;
  let weight = 0;
  for (let r = 0; r < 2; r++) {
    const y = iy + r;
    if (y < 0 || y >= h) continue;
    const wy = r === 0 ? 1 - fy : fy;
    for (let c = 0; c < 2; c++) {
      const x = ix + c;
      if (x < 0 || x >= w) continue;
      const v = a[y * w + x]!;
      if (v !== v || v === nd) continue;
      const wt = wy * (c === 0 ? 1 - fx : fx);
      sum += wt * v;
      weight += wt;
    }
  }
  if (weight < MIN_WEIGHT) return NaN;
  return weight < 0.99999 || weight > 1.00001 ? sum / weight : sum;
}

/** Writes a computed value: NaN means "no value"; integer types round half up and saturate. */
type Store = (out: TypedArray, i: number, v: number, nodata: number) => void;

export function storer(dataType: DataType): Store {
  const range = INTEGER_RANGE[dataType];
  if (range === null) {
    return (out, i, v, nodata) => {
      out[i] = v === v ? v : nodata;
    };
  }
  const [lo, hi] = range;
  return (out, i, v, nodata) => {
    if (v !== v) out[i] = nodata;
    else {
      const r = Math.floor(v + 0.5);
      out[i] = r < lo ? lo : r > hi ? hi : r;
    }
  };
}
