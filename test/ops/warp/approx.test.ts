import fc from "fast-check";
import proj4 from "proj4";
import { describe, expect, it } from "vitest";
import type { Window } from "../../../worker/io/raster.ts";
import { approxPositions, type ExactMapping } from "../../../worker/ops/warp/approx.ts";

/** An instrumented mapping: counts its calls. */
function counted(f: (x: number, y: number) => [number, number]): { map: ExactMapping; calls: () => number } {
  let calls = 0;
  return {
    map: (x, y, out) => {
      calls++;
      const [u, v] = f(x, y);
      out[0] = u;
      out[1] = v;
    },
    calls: () => calls,
  };
}

/** Largest |dx| + |dy| between the approximation and the exact mapping over the window. */
function worstError(
  f: (x: number, y: number) => [number, number],
  window: Window,
  maxError: number,
  cell?: number,
) {
  const { map } = counted(f);
  const { xs, ys } = approxPositions(map, window, maxError, undefined, cell);
  let worst = 0;
  for (let r = 0; r < window.height; r++) {
    for (let c = 0; c < window.width; c++) {
      const [u, v] = f(window.x + c + 0.5, window.y + r + 0.5);
      const k = r * window.width + c;
      worst = Math.max(worst, Math.abs(xs[k]! - u) + Math.abs(ys[k]! - v));
    }
  }
  return worst;
}

const windowArb = fc.record({
  x: fc.integer({ min: -1000, max: 1000 }),
  y: fc.integer({ min: -1000, max: 1000 }),
  width: fc.integer({ min: 1, max: 150 }),
  height: fc.integer({ min: 1, max: 150 }),
});
const coef = (m: number) => fc.double({ min: -m, max: m, noNaN: true });

describe("approxPositions", () => {
  it("an affine mapping is interpolated exactly from the coarse grid alone", () => {
    const f = (x: number, y: number): [number, number] => [3 + 0.7 * x - 0.2 * y, -5 + 0.1 * x + 1.3 * y];
    const { map, calls } = counted(f);
    const window = { x: 10, y: 20, width: 100, height: 70 };
    const { xs, ys } = approxPositions(map, window, 0.125);
    expect(xs[0]).toBeCloseTo(f(10.5, 20.5)[0], 9);
    expect(ys[99 + 69 * 100]).toBeCloseTo(f(109.5, 89.5)[1], 9);
    // nodes 0,25,50,74,99 x 0,23,46,69 (20) + per cell 2 edge midpoints each way and the centre (12 x 5)
    expect(calls()).toBe(20 + 12 * 5);
    expect(worstError(f, window, 0.125)).toBeLessThan(1e-9);
  });

  it("property: a smooth (quadratic) mapping is within maxError everywhere", () => {
    fc.assert(
      fc.property(
        windowArb,
        fc.tuple(
          coef(2),
          coef(2),
          coef(2),
          coef(2),
          coef(0.01),
          coef(0.01),
          coef(0.01),
          coef(0.01),
          coef(0.01),
          coef(0.01),
        ),
        fc.constantFrom(0.01, 0.125, 0.5),
        fc.constantFrom(8, 32),
        (window, [a, b, c, d, e, f2, g, h, i, j], maxError, cell) => {
          const f = (x: number, y: number): [number, number] => {
            const u = x - window.x;
            const v = y - window.y;
            return [
              a * u + b * v + e * u * u + f2 * u * v + g * v * v,
              c * u + d * v + h * u * u + i * u * v + j * v * v,
            ];
          };
          expect(worstError(f, window, maxError, cell)).toBeLessThanOrEqual(maxError + 1e-9);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("property: a map projection (UTM → lon/lat → another UTM zone, as pixels) is within maxError", () => {
    const to = proj4(
      "+proj=utm +zone=31 +datum=WGS84 +units=m +no_defs",
      "+proj=utm +zone=32 +datum=WGS84 +units=m +no_defs",
    );
    fc.assert(
      fc.property(
        windowArb,
        fc.constantFrom(0.5, 2, 10),
        fc.constantFrom(0.05, 0.125),
        (window, res, maxError) => {
          const f = (x: number, y: number): [number, number] => {
            const [e, n] = to.forward([700000 + x * res, 5000000 - y * res]);
            return [(e! - 200000) / (res * 0.9), (5100000 - n!) / (res * 0.9)];
          };
          expect(worstError(f, window, maxError)).toBeLessThanOrEqual(maxError);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("near the edge of the mapping's domain, unmapped pixels stay NaN and mapped ones are exact", () => {
    const f = (x: number, y: number): [number, number] => (x + y > 60 ? [NaN, NaN] : [2 * x, 2 * y]);
    const { map } = counted(f);
    const window = { x: 0, y: 0, width: 64, height: 64 };
    const { xs } = approxPositions(map, window, 0.125);
    for (let r = 0; r < 64; r++) {
      for (let c = 0; c < 64; c++) {
        const expected = f(c + 0.5, r + 0.5)[0];
        if (Number.isNaN(expected)) expect(xs[r * 64 + c]).toBeNaN();
        else expect(xs[r * 64 + c]).toBeCloseTo(expected, 9);
      }
    }
  });
});
