import type { ExactMapping } from "./approx.ts";
import { resamplePoints, storer, type Resampling, type SampleSource, type SampleTarget } from "./resample.ts";

/**
 * Downsampling as gdalwarp does it: when an output pixel spans more than ~1.05 source pixels, the
 * bilinear (triangle) and cubic (Keys) kernels are stretched by 1 / scale along that axis, so that
 * every source pixel under the output pixel contributes (antialiasing) instead of the 2x2 or 4x4
 * nearest ones. `scale` is output pixels per source pixel along the source axes (≤ 1 here).
 */
export interface Scale {
  readonly x: number;
  readonly y: number;
}

/** gdalwarp keeps the plain kernels down to this scale on both axes. */
const PLAIN_DOWN_TO = 0.95;

/**
 * The scale of a tile from the exact mapping at its centre: how many source pixels one output pixel
 * spans along each source axis (hypot(du/dx, du/dy): a rotation alone does not stretch the kernels,
 * whereas gdalwarp's per-chunk window ratio also counts rotation and parallax). Null when the plain
 * kernels apply (or the centre is unmapped).
 */
export function tileScale(map: ExactMapping, cx: number, cy: number): Scale | null {
  const p = new Float64Array(2);
  map(cx, cy, p);
  const [u0, v0] = [p[0]!, p[1]!];
  map(cx + 1, cy, p);
  const [ux, vx] = [p[0]! - u0, p[1]! - v0];
  map(cx, cy + 1, p);
  const [uy, vy] = [p[0]! - u0, p[1]! - v0];
  const sx = 1 / Math.hypot(ux, uy);
  const sy = 1 / Math.hypot(vx, vy);
  if (!Number.isFinite(sx) || !Number.isFinite(sy)) return null;
  if (sx >= PLAIN_DOWN_TO && sy >= PLAIN_DOWN_TO) return null;
  return { x: Math.min(1, sx), y: Math.min(1, sy) };
}

/** Source pixels a stretched kernel reaches beyond the mapped position: the footprint's margin. */
export function scaledMargin(method: Resampling, scale: Scale | null): number {
  const r = method === "cubic" ? 2 : 1;
  if (scale === null || method === "nearest") return r;
  return Math.ceil(r / Math.min(scale.x, scale.y)) + 1;
}

function triangle(d: number): number {
  const a = Math.abs(d);
  return a < 1 ? 1 - a : 0;
}

function keys(d: number): number {
  const a = Math.abs(d);
  if (a < 1) return (1.5 * a - 2.5) * a * a + 1;
  if (a < 2) return ((-0.5 * a + 2.5) * a - 4) * a + 2;
  return 0;
}

/**
 * Like resamplePoints (same positions, validity and rounding rules) with the kernel stretched by
 * 1 / scale: taps at |t - p| < r / scale, weight K((t - p) · scale), nodata and outside taps left out,
 * weights renormalised. Nearest is not stretched.
 */
export function resampleScaled(
  method: Exclude<Resampling, "nearest">,
  scale: Scale,
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
  const kernel = method === "cubic" ? keys : triangle;
  const r = method === "cubic" ? 2 : 1;
  const rx = r / scale.x;
  const ry = r / scale.y;
  const wx = new Float64Array(Math.ceil(2 * rx) + 2);
  const wy = new Float64Array(Math.ceil(2 * ry) + 2);
  const sums = new Float64Array(out.length);
  const weights = new Float64Array(out.length);
  for (let i = 0; i < count; i++) {
    const x = xs[i]! - src.x;
    const y = ys[i]! - src.y;
    const o = offset + i;
    if (!(x >= 0 && y >= 0 && x < w && y < h)) {
      for (let b = 0; b < out.length; b++) out[b]![o] = target.nodata;
      continue;
    }
    const centre = Math.floor(y) * w + Math.floor(x);
    const px = x - 0.5;
    const py = y - 0.5;
    const x0 = Math.max(0, Math.floor(px - rx) + 1);
    const x1 = Math.min(w - 1, Math.ceil(px + rx) - 1);
    const y0 = Math.max(0, Math.floor(py - ry) + 1);
    const y1 = Math.min(h - 1, Math.ceil(py + ry) - 1);
    for (let tx = x0; tx <= x1; tx++) wx[tx - x0] = kernel((tx - px) * scale.x);
    for (let ty = y0; ty <= y1; ty++) wy[ty - y0] = kernel((ty - py) * scale.y);
    sums.fill(0);
    weights.fill(0);
    for (let ty = y0; ty <= y1; ty++) {
      const fy = wy[ty - y0]!;
      if (fy === 0) continue;
      for (let tx = x0, k = ty * w + x0; tx <= x1; tx++, k++) {
        const f = fy * wx[tx - x0]!;
        if (f === 0) continue;
        for (let b = 0; b < out.length; b++) {
          const v = bands[b]![k]!;
          if (v !== v || v === nd) continue;
          sums[b] += f * v;
          weights[b] += f;
        }
      }
    }
    for (let b = 0; b < out.length; b++) {
      const cv = bands[b]![centre]!;
      const wt = weights[b]!;
      const valid = cv === cv && cv !== nd && wt >= 0.000001;
      store(out[b]!, o, valid ? sums[b]! / wt : NaN, target.nodata);
    }
  }
}

/** resamplePoints, or resampleScaled when a (downsampling) scale is given and the method is not nearest. */
export function resampleAt(
  method: Resampling,
  scale: Scale | null,
  src: SampleSource,
  xs: Float64Array,
  ys: Float64Array,
  target: SampleTarget,
  offset = 0,
  count = xs.length,
): void {
  if (scale === null || method === "nearest") resamplePoints(method, src, xs, ys, target, offset, count);
  else resampleScaled(method, scale, src, xs, ys, target, offset, count);
}
