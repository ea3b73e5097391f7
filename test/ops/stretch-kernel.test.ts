import { describe, expect, it } from "vitest";
import { typedArrayFor, type Block, type DataType, type TypedArray } from "../../worker/io/raster.ts";
import type { Grid } from "../../worker/ops/grid.ts";
import { stretch, stretchReduction, type StretchParams } from "../../worker/ops/stretch.ts";
import { decodePartial, FLOAT_BINS } from "../../worker/ops/stretch/histogram.ts";
import { decodeBounds, MERGE_BINS, reduceBounds } from "../../worker/ops/stretch/reduce.ts";

const params = (p: Record<string, unknown> = {}): StretchParams => stretch.params.parse(p);

function grid(dataType: DataType, width: number, height: number, bands: number, nodata: number | null): Grid {
  return { width, height, bands, dataType, nodata, crs: null, geoTransform: null } as Grid;
}

/** A deterministic pseudo-random sequence (LCG), so failures reproduce. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** np.percentile(x, p) (method 'linear') on a plain array, the reference the reduce must equal. */
function numpyPercentile(values: readonly number[], p: number): number {
  const x = [...values].sort((a, b) => a - b);
  const h = (x.length - 1) * (p / 100);
  const k = Math.floor(h);
  const g = h - k;
  const a = x[k]!;
  const b = x[Math.min(k + 1, x.length - 1)]!;
  return g >= 0.5 ? b - (b - a) * (1 - g) : a + (b - a) * g;
}

/** The partials as the reduce task hands them over: read again on every call. */
function partialsOf(list: readonly Uint8Array[]) {
  return async function* () {
    yield* list;
  };
}

/** Split one band into column strips (tiles), take each strip's partial, reduce them all. */
async function boundsOf(
  values: TypedArray,
  dataType: DataType,
  nodata: number | null,
  p: StretchParams,
  strips: number,
) {
  const width = values.length;
  const g = grid(dataType, width, 1, 1, nodata);
  const partials: Uint8Array[] = [];
  const step = Math.ceil(width / strips);
  for (let x = 0; x < width; x += step) {
    const w = Math.min(step, width - x);
    const block: Block = { width: w, height: 1, dataType, bands: [values.slice(x, x + w)] };
    partials.push(stretchReduction.partial(p, { block, window: { x, y: 0, width: w, height: 1 }, grid: g }));
  }
  return decodeBounds(await stretchReduction.reduce(p, g, partialsOf(partials)), 1)[0]!;
}

describe("stretch partials", () => {
  it("are exact one-bin-per-value histograms for 16-bit data, nodata and NaN left out", () => {
    const block: Block = {
      width: 6,
      height: 1,
      dataType: "uint16",
      bands: [Uint16Array.of(5, 0, 7, 5, 0, 9)],
    };
    const g = grid("uint16", 6, 1, 1, 0);
    const [band] = decodePartial(
      stretchReduction.partial(params(), { block, window: { x: 0, y: 0, width: 6, height: 1 }, grid: g }),
      1,
      "t",
    );
    expect(band).toMatchObject({ count: 4, min: 5, max: 9, exact: true });
    expect([...band!.bins]).toEqual([2, 0, 1, 0, 1]);

    const f: Block = { width: 4, height: 1, dataType: "float32", bands: [Float32Array.of(NaN, 1.5, -2, 3)] };
    const [fb] = decodePartial(
      stretchReduction.partial(params(), {
        block: f,
        window: { x: 0, y: 0, width: 4, height: 1 },
        grid: grid("float32", 4, 1, 1, null),
      }),
      1,
      "t",
    );
    expect(fb).toMatchObject({ count: 3, min: -2, max: 3, exact: false });
    expect(fb!.bins.length).toBe(FLOAT_BINS);
    expect(fb!.bins.reduce((a, b) => a + b, 0)).toBe(3);
  });
});

describe("stretch reduce", () => {
  const cases: [string, DataType, (r: () => number) => number, number | null][] = [
    ["uint8", "uint8", (r) => Math.floor(r() * 256), null],
    ["uint16 12-bit with nodata 0", "uint16", (r) => Math.floor(r() ** 2 * 4096), 0],
    ["int16 around zero", "int16", (r) => Math.floor((r() - 0.5) * 20000), -32768],
    ["uint16 full range", "uint16", (r) => Math.floor(r() * 65536), null],
  ];
  for (const [name, dataType, draw, nodata] of cases) {
    it(`equals np.percentile exactly on ${name}, whatever the tiling`, async () => {
      const r = random(name.length);
      const values = typedArrayFor(dataType, 20000);
      for (let i = 0; i < values.length; i++) values[i] = draw(r);
      const valid = [...values].filter((v) => v !== nodata);
      for (const [low, high] of [
        [2, 98],
        [0, 100],
        [0.5, 99.5],
        [33.3, 66.7],
      ] as const) {
        const p = params({ low, high });
        const expected = { lo: numpyPercentile(valid, low), hi: numpyPercentile(valid, high) };
        expect(await boundsOf(values, dataType, nodata, p, 1)).toEqual(expected);
        expect(await boundsOf(values, dataType, nodata, p, 7)).toEqual(expected);
      }
      expect(await boundsOf(values, dataType, nodata, params({ method: "minmax" }), 5)).toEqual({
        lo: Math.min(...valid),
        hi: Math.max(...valid),
      });
    });
  }

  it("stays within its documented bound on float data, min and max exact", async () => {
    const r = random(3);
    const values = new Float32Array(30000);
    // Skewed, with a far outlier: the bound is relative to the band's whole range.
    for (let i = 0; i < values.length; i++) values[i] = 280 + 20 * r() ** 3;
    values[123] = 1000;
    values[7] = NaN;
    const valid = [...values].filter((v) => !Number.isNaN(v));
    const range = 1000 - 280;
    const bound = range * (1 / FLOAT_BINS + 1 / MERGE_BINS);
    for (const [low, high] of [
      [2, 98],
      [10, 90],
      [0, 100],
    ] as const) {
      const got = await boundsOf(values, "float32", null, params({ low, high }), 9);
      expect(Math.abs(got.lo - numpyPercentile(valid, low))).toBeLessThanOrEqual(bound);
      expect(Math.abs(got.hi - numpyPercentile(valid, high))).toBeLessThanOrEqual(bound);
    }
    expect(await boundsOf(values, "float32", null, params({ low: 0, high: 100 }), 9)).toEqual({
      lo: Math.min(...valid),
      hi: 1000,
    });
  });

  it("gives 0..0 for a band with no valid sample and v..v for a constant one", async () => {
    expect(await boundsOf(Uint8Array.of(9, 9, 9), "uint8", 9, params(), 2)).toEqual({ lo: 0, hi: 0 });
    expect(await boundsOf(Float32Array.of(2.5, 2.5), "float32", null, params(), 2)).toEqual({
      lo: 2.5,
      hi: 2.5,
    });
  });

  it("merges the bands of a partial independently", async () => {
    const g = grid("uint8", 3, 1, 2, null);
    const block: Block = {
      width: 3,
      height: 1,
      dataType: "uint8",
      bands: [Uint8Array.of(1, 2, 3), Uint8Array.of(10, 20, 30)],
    };
    const part = stretchReduction.partial(params({ method: "minmax" }), {
      block,
      window: { x: 0, y: 0, width: 3, height: 1 },
      grid: g,
    });
    expect(await reduceBounds(partialsOf([part]), 2, "uint8", params({ method: "minmax" }))).toEqual([
      { lo: 1, hi: 3 },
      { lo: 10, hi: 30 },
    ]);
  });
});

describe("stretch kernel", () => {
  function apply(
    src: TypedArray,
    inType: DataType,
    inNodata: number | null,
    lo: number,
    hi: number,
    p: Record<string, unknown> = {},
  ): number[] {
    const sp = params(p);
    const n = src.length;
    const inGrid = grid(inType, n, 1, 1, inNodata);
    const outGrid = stretch.outputGrid(sp, new Map([["im", inGrid]])) as Grid;
    const reduced = new Uint8Array(Float64Array.of(lo, hi).buffer);
    const window = { x: 0, y: 0, width: n, height: 1 };
    const block: Block = { width: n, height: 1, dataType: inType, bands: [src] };
    const out = stretch.kernel(sp, new Map([["im", { block, window, grid: inGrid, reduced }]]), {
      window,
      grid: outGrid,
    });
    return [...out.bands[0]!];
  }

  it("maps [lo, hi] onto 0..255, rounding half up and saturating", () => {
    // (v - 100) * 255 / 200: 0 -> -127.5 -> 0; 100 -> 0; 150 -> 63.75 -> 64; 200 -> 127.5 -> 128; 300 -> 255; 999 -> 255
    expect(apply(Uint16Array.of(0, 100, 150, 200, 300, 999), "uint16", null, 100, 300)).toEqual([
      0, 0, 64, 128, 255, 255,
    ]);
  });

  it("writes the output nodata for nodata and NaN inputs and keeps valid pixels off it", () => {
    expect(apply(Float32Array.of(NaN, -5, 0, 1, 10), "float32", -5, 0, 10, { nodata: 0 })).toEqual([
      0, 0, 1, 26, 255,
    ]);
    expect(apply(Float32Array.of(NaN, 10), "float32", null, 0, 10, { nodata: 255 })).toEqual([255, 254]);
    // no output nodata: masked pixels are 0
    expect(apply(Uint16Array.of(7, 8), "uint16", 7, 0, 8)).toEqual([0, 255]);
  });

  it("targets [0, max] of other integer types and [0, 1] of floats; hi <= lo gives the minimum", () => {
    expect(apply(Uint8Array.of(0, 128, 255), "uint8", null, 0, 255, { dataType: "uint16" })).toEqual([
      0, 32896, 65535,
    ]);
    expect(apply(Uint8Array.of(0, 64, 255), "uint8", null, 0, 128, { dataType: "float32" })).toEqual([
      0, 0.5, 1,
    ]);
    expect(apply(Uint8Array.of(3, 3), "uint8", null, 3, 3)).toEqual([0, 0]);
  });
});

describe("stretch params", () => {
  it("refuse a nodata the target type cannot hold, at params.nodata", () => {
    expect(stretch.checkParams!(params({ nodata: 256 }), ["im"])).toMatchObject([
      { code: "nodata-range", path: "params.nodata" },
    ]);
    expect(stretch.checkParams!(params({ nodata: 256, dataType: "uint16" }), ["im"])).toEqual([]);
  });
});
