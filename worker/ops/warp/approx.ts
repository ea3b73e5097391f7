import type { Window } from "../../io/raster.ts";

/**
 * An exact output → source mapping: (x, y) are continuous output-grid pixel coordinates (a pixel
 * centre is c + 0.5); it writes the continuous source-grid position to out[0], out[1], or NaN when the
 * point has none. Called a few hundred to a few thousand times per tile, never per pixel.
 */
export type ExactMapping = (x: number, y: number, out: Float64Array) => void;

/** Source positions of the pixel centres of an output window, row-major (`width * height` each). */
export interface Positions {
  readonly xs: Float64Array;
  readonly ys: Float64Array;
}

/** Edge of the coarse cells the exact mapping is first evaluated on, in output pixels. */
const START_CELL = 32;

/**
 * The source position of every pixel centre of `window`, interpolated bilinearly between exact
 * evaluations on a grid of cells of `startCell` pixels; a cell whose interpolation misses the exact
 * mapping by more than `maxError` (|dx| + |dy|, source pixels, as GDAL's approximate transformer
 * measures it) at its edge midpoints or centre is split in four, down to single pixels. Cells with an
 * unmapped corner are split too, so a tile that straddles the edge of the mapping's domain is exact
 * near it. `into` (optional) supplies the arrays to fill.
 */
export function approxPositions(
  exact: ExactMapping,
  window: Window,
  maxError: number,
  into?: Positions,
  startCell = START_CELL,
): Positions {
  const { width, height } = window;
  const n = width * height;
  const xs = into && into.xs.length >= n ? into.xs : new Float64Array(n);
  const ys = into && into.ys.length >= n ? into.ys : new Float64Array(n);
  const cols = nodes(width, startCell);
  const rows = nodes(height, startCell);
  const tmp = new Float64Array(2);
  const gx = new Float64Array(cols.length * rows.length);
  const gy = new Float64Array(cols.length * rows.length);
  rows.forEach((r, j) =>
    cols.forEach((c, i) => {
      exact(window.x + c + 0.5, window.y + r + 0.5, tmp);
      gx[j * cols.length + i] = tmp[0]!;
      gy[j * cols.length + i] = tmp[1]!;
    }),
  );
  const fill = cellFiller(exact, window, maxError, xs, ys, tmp);
  for (let j = 0; j < Math.max(1, rows.length - 1); j++) {
    for (let i = 0; i < Math.max(1, cols.length - 1); i++) {
      const i1 = Math.min(i + 1, cols.length - 1);
      const j1 = Math.min(j + 1, rows.length - 1);
      const k00 = j * cols.length + i;
      const k10 = j * cols.length + i1;
      const k01 = j1 * cols.length + i;
      const k11 = j1 * cols.length + i1;
      fill(
        cols[i]!,
        rows[j]!,
        cols[i1]!,
        rows[j1]!,
        gx[k00]!,
        gy[k00]!,
        gx[k10]!,
        gy[k10]!,
        gx[k01]!,
        gy[k01]!,
        gx[k11]!,
        gy[k11]!,
      );
    }
  }
  return { xs, ys };
}

/** Pixel indices from 0 to size-1 (both nodes), evenly spaced at most `step` apart. */
function nodes(size: number, step: number): number[] {
  const cells = Math.max(1, Math.ceil((size - 1) / step));
  return Array.from({ length: cells + 1 }, (_, i) => Math.round((i * (size - 1)) / cells));
}

type CellFiller = (
  c0: number,
  r0: number,
  c1: number,
  r1: number,
  x00: number,
  y00: number,
  x10: number,
  y10: number,
  x01: number,
  y01: number,
  x11: number,
  y11: number,
) => void;

function cellFiller(
  exact: ExactMapping,
  window: Window,
  maxError: number,
  xs: Float64Array,
  ys: Float64Array,
  tmp: Float64Array,
): CellFiller {
  const stride = window.width;
  const at = (c: number, r: number): void => exact(window.x + c + 0.5, window.y + r + 0.5, tmp);
  const put = (c: number, r: number, x: number, y: number): void => {
    xs[r * stride + c] = x;
    ys[r * stride + c] = y;
  };
  const fill: CellFiller = (c0, r0, c1, r1, x00, y00, x10, y10, x01, y01, x11, y11) => {
    const cm = c1 - c0 >= 2 ? (c0 + c1) >> 1 : -1;
    const rm = r1 - r0 >= 2 ? (r0 + r1) >> 1 : -1;
    if (cm < 0 && rm < 0) {
      put(c0, r0, x00, y00);
      put(c1, r0, x10, y10);
      put(c0, r1, x01, y01);
      put(c1, r1, x11, y11);
      return;
    }
    const dc = c1 - c0 || 1;
    const dr = r1 - r0 || 1;
    let ok = Number.isFinite(x00 + y00 + x10 + y10 + x01 + y01 + x11 + y11);
    // exact values at the edge midpoints and centre: the checks, and the corners of the sub-cells
    let xt = NaN,
      yt = NaN,
      xb = NaN,
      yb = NaN,
      xl = NaN,
      yl = NaN,
      xr = NaN,
      yr = NaN,
      xc = NaN,
      yc = NaN;
    const miss = (c: number, r: number, ex: number, ey: number): boolean => {
      const u = (c - c0) / dc;
      const v = (r - r0) / dr;
      const ix = (1 - v) * ((1 - u) * x00 + u * x10) + v * ((1 - u) * x01 + u * x11);
      const iy = (1 - v) * ((1 - u) * y00 + u * y10) + v * ((1 - u) * y01 + u * y11);
      return !(Math.abs(ix - ex) + Math.abs(iy - ey) <= maxError);
    };
    if (cm >= 0) {
      at(cm, r0);
      xt = tmp[0]!;
      yt = tmp[1]!;
      at(cm, r1);
      xb = tmp[0]!;
      yb = tmp[1]!;
      if (ok && (miss(cm, r0, xt, yt) || miss(cm, r1, xb, yb))) ok = false;
    }
    if (rm >= 0) {
      at(c0, rm);
      xl = tmp[0]!;
      yl = tmp[1]!;
      at(c1, rm);
      xr = tmp[0]!;
      yr = tmp[1]!;
      if (ok && (miss(c0, rm, xl, yl) || miss(c1, rm, xr, yr))) ok = false;
    }
    if (cm >= 0 && rm >= 0) {
      at(cm, rm);
      xc = tmp[0]!;
      yc = tmp[1]!;
      if (ok && miss(cm, rm, xc, yc)) ok = false;
    }
    if (ok) {
      interpolate(c0, r0, c1, r1, x00, y00, x10, y10, x01, y01, x11, y11);
      return;
    }
    if (cm >= 0 && rm >= 0) {
      fill(c0, r0, cm, rm, x00, y00, xt, yt, xl, yl, xc, yc);
      fill(cm, r0, c1, rm, xt, yt, x10, y10, xc, yc, xr, yr);
      fill(c0, rm, cm, r1, xl, yl, xc, yc, x01, y01, xb, yb);
      fill(cm, rm, c1, r1, xc, yc, xr, yr, xb, yb, x11, y11);
    } else if (cm >= 0) {
      fill(c0, r0, cm, r1, x00, y00, xt, yt, x01, y01, xb, yb);
      fill(cm, r0, c1, r1, xt, yt, x10, y10, xb, yb, x11, y11);
    } else {
      fill(c0, r0, c1, rm, x00, y00, x10, y10, xl, yl, xr, yr);
      fill(c0, rm, c1, r1, xl, yl, xr, yr, x01, y01, x11, y11);
    }
  };
  const interpolate: CellFiller = (c0, r0, c1, r1, x00, y00, x10, y10, x01, y01, x11, y11) => {
    const dc = c1 - c0 || 1;
    const dr = r1 - r0 || 1;
    for (let r = r0; r <= r1; r++) {
      const v = (r - r0) / dr;
      const xa = x00 + (x01 - x00) * v;
      const ya = y00 + (y01 - y00) * v;
      const sx = (x10 + (x11 - x10) * v - xa) / dc;
      const sy = (y10 + (y11 - y10) * v - ya) / dc;
      let k = r * stride + c0;
      for (let c = 0; c <= c1 - c0; c++, k++) {
        xs[k] = xa + sx * c;
        ys[k] = ya + sy * c;
      }
    }
  };
  return fill;
}
