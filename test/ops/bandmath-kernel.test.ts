import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../scripts/lib/prng.ts";
import { typedArrayFor, type Block, type DataType, type Window } from "../../worker/io/raster.ts";
import { bandmath } from "../../worker/ops/bandmath.ts";
import { cachedExpression, compileExpression } from "../../worker/ops/bandmath/compile.ts";
import type { Expr } from "../../worker/ops/bandmath/ast.ts";
import type { Grid } from "../../worker/ops/grid.ts";
import type { KernelInput } from "../../worker/ops/kernel.ts";

const FLT_MAX = 3.4028234663852886e38;

function grid(over: Partial<Grid> = {}): Grid {
  return {
    width: 1000,
    height: 700,
    bands: 1,
    dataType: "float64",
    geoTransform: [500000, 10, 0, 4000000, 0, -10],
    crs: { epsg: 32631, wkt: null },
    nodata: null,
    ...over,
  };
}

function block(
  dataType: DataType,
  width: number,
  height: number,
  bands: readonly (readonly number[])[],
): Block {
  return {
    width,
    height,
    dataType,
    bands: bands.map((values) => {
      const a = typedArrayFor(dataType, width * height);
      values.forEach((v, i) => (a[i] = v));
      return a;
    }),
  };
}

/** An input whose block is `window` of a grid with the block's type and band count. */
function input(b: Block, window: Window, nodata: number | null = null): KernelInput {
  return { block: b, window, grid: grid({ bands: b.bands.length, dataType: b.dataType, nodata }) };
}

/** The step's output grid as the planner derives it, then the kernel on `window` of it. */
function run(
  raw: Record<string, unknown>,
  inputs: Record<string, KernelInput>,
  window: Window,
): { grid: Grid; block: Block } {
  const p = bandmath.params.parse(raw);
  const g = bandmath.outputGrid(p, new Map(Object.entries(inputs).map(([a, i]) => [a, i.grid])));
  if ("code" in g) throw new Error(g.message);
  return { grid: g, block: bandmath.kernel(p, new Map(Object.entries(inputs)), { window, grid: g }) };
}

const at = (w: number, h: number, x = 0, y = 0): Window => ({ x, y, width: w, height: h });

/** Values of one expression on a 1x1 pixel of `a` (bands b1, b2) as float64. */
function evaluate(expression: string, a: readonly number[] = [2, 3]): number {
  const b = block(
    "float64",
    1,
    1,
    a.map((v) => [v]),
  );
  return run({ expression, dataType: "float64" }, { a: input(b, at(1, 1)) }, at(1, 1)).block.bands[0]![0]!;
}

describe("bandmath kernel", () => {
  it("NDVI on 4 uint16 bands equals the per-pixel float64 computation rounded to float32", () => {
    const [w, h] = [256, 192];
    const rand = mulberry32(7);
    const bands = [0, 1, 2, 3].map(() => Array.from({ length: w * h }, () => Math.floor(rand() * 10000)));
    bands[2]![5] = bands[3]![5] = 0; // 0/0
    const im = input(block("uint16", w, h, bands), at(w, h, 512, 1024));
    const out = run({ expression: "(im.b4 - im.b3) / (im.b4 + im.b3)" }, { im }, at(w, h, 512, 1024)).block;
    expect(out.dataType).toBe("float32");
    const want = new Float32Array(w * h);
    for (let i = 0; i < w * h; i++) {
      want[i] = (bands[3]![i]! - bands[2]![i]!) / (bands[3]![i]! + bands[2]![i]!);
    }
    expect(out.bands[0]).toEqual(want);
    expect(Number.isNaN(out.bands[0]![5]!)).toBe(true);
  });

  it.each([
    [
      "uint16",
      [2.5, -2.5, 70000, -1, 0.49999999999999994, 1.5, 65535.4, Infinity, -Infinity],
      [3, 0, 65535, 0, 0, 2, 65535, 65535, 0],
    ],
    [
      "int16",
      [2.5, -2.5, 70000, -1, -0.5, -1.4999, 40000, -40000, -Infinity],
      [3, -3, 32767, -1, -1, -1, 32767, -32768, -32768],
    ],
    ["uint8", [254.5, 255.5, 0.5, -0.4, 100.49], [255, 255, 1, 0, 100]],
    ["int8", [-128.6, 127.5, -0.5, 0.5], [-128, 127, -1, 1]],
    ["uint32", [4294967295.5, 2147483648.5, -3], [4294967295, 2147483649, 0]],
    ["int32", [-2147483648.5, 2147483647.5, -7.5], [-2147483648, 2147483647, -8]],
  ] as const)("%s output rounds half away from zero and saturates", (dataType, values, want) => {
    const b = block("float64", values.length, 1, [values]);
    const out = run(
      { expression: "a.b1", dataType },
      { a: input(b, at(values.length, 1)) },
      at(values.length, 1),
    );
    expect([...out.block.bands[0]!]).toEqual(want);
  });

  it("NaN into an integer type is 0 without output nodata and the nodata with it", () => {
    const b = block("float64", 2, 1, [[NaN, 7]]);
    const a = { a: input(b, at(2, 1)) };
    expect([...run({ expression: "a.b1", dataType: "uint8" }, a, at(2, 1)).block.bands[0]!]).toEqual([0, 7]);
    const withNodata = run({ expression: "a.b1", dataType: "int16", nodata: -999 }, a, at(2, 1)).block;
    expect([...withNodata.bands[0]!]).toEqual([-999, 7]);
  });

  it.each([
    ["1 + 2 * 3", 7],
    ["2 - 3 - 4", -5],
    ["2 ^ 3 ^ 2", 512],
    ["-2 ^ 2", -4],
    ["(-2) ^ 2", 4],
    ["2 ^ -1", 0.5],
    ["7 / 2", 3.5],
    ["1 / 0", Infinity],
    ["-1 / 0", -Infinity],
    ["0 / 0", NaN],
    ["1 ^ (0 / 0)", 1],
    ["(-1) ^ (1 / 0)", 1],
    ["(0 / 0) ^ 0", 1],
    ["a.b1 < a.b2", 1],
    ["a.b1 <= 2", 1],
    ["a.b1 > a.b2", 0],
    ["a.b2 >= 4", 0],
    ["a.b1 == 2", 1],
    ["a.b1 != 2", 0],
    ["(0 / 0) == (0 / 0)", 0],
    ["(0 / 0) != (0 / 0)", 1],
    ["1 < 2 == 1", 1],
    ["a.b1 && 0", 0],
    ["a.b1 && -0.5", 1],
    ["0 || a.b2", 1],
    ["0 || 0", 0],
    ["(0 / 0) && 1", 1],
    ["!0", 1],
    ["!a.b1", 0],
    ["!!7", 1],
    ["1 + 2 > 2 && 0 || 1", 1],
    ["a.b1 > 1 ? a.b2 : 10", 3],
    ["0 ? 1 : 0 ? 2 : 3", 3],
    ["1 ? 0 ? 4 : 5 : 6", 5],
    ["(0 / 0) ? 1 : 2", 1],
    ["a.b1 * a.b2 + a.b1 ^ 2 / 4", 7],
    ["abs(-3.5)", 3.5],
    ["sqrt(16)", 4],
    ["sqrt(-1)", NaN],
    ["log(1)", 0],
    ["log(0)", -Infinity],
    ["log(exp(a.b1))", Math.log(Math.exp(2))],
    ["exp(0)", 1],
    ["min(a.b2, a.b1, 5)", 2],
    ["max(a.b2, a.b1, 5)", 5],
    ["min(1, 0 / 0)", NaN],
    ["clamp(a.b2, 0, 2.5)", 2.5],
    ["clamp(-a.b2, -1, 2)", -1],
    ["clamp(1.5, 0, 2)", 1.5],
    ["1e3 + .5 + 2.5e-1", 1000.75],
    ["1e999 - 1e999", NaN],
  ])("%s = %d", (expression, want) => expect(evaluate(expression)).toBe(want));

  it("a referenced band equal to its input's nodata makes the output pixel nodata (gdal_calc default)", () => {
    const b = block("uint16", 4, 1, [
      [0, 10, 20, 30],
      [5, 0, 20, 30],
      [1, 1, 1, 0],
    ]);
    const { grid: g, block: out } = run(
      { expression: ["a.b1 + a.b2", "a.b1"], dataType: "float32" },
      { a: input(b, at(4, 1), 0) },
      at(4, 1),
    );
    expect(g.nodata).toBe(3.402823466e38);
    expect([...out.bands[0]!]).toEqual([FLT_MAX, FLT_MAX, 40, 60]);
    // Band 3's nodata at pixel 3 does not touch expressions that do not read it.
    expect([...out.bands[1]!]).toEqual([FLT_MAX, 10, 20, 30]);
  });

  it("explicit output nodata, and NaN nodata matches NaN samples", () => {
    const b = block("float32", 3, 1, [[NaN, 2, 3]]);
    const { grid: g, block: out } = run(
      { expression: "a.b1 * 2", dataType: "int16", nodata: -9999 },
      { a: input(b, at(3, 1), NaN) },
      at(3, 1),
    );
    expect(g.nodata).toBe(-9999);
    expect([...out.bands[0]!]).toEqual([-9999, 4, 6]);
  });

  it("with a numeric nodata, NaN samples are data; float32 nodata is compared as float32", () => {
    const b = block("float32", 3, 1, [[NaN, 3.402823466e38, 0.1]]);
    const out = run(
      { expression: "a.b1", dataType: "float64", nodata: -1 },
      { a: input(b, at(3, 1), 3.402823466e38) },
      at(3, 1),
    ).block;
    expect([...out.bands[0]!]).toEqual([NaN, -1, Math.fround(0.1)]);
  });

  it.each([
    ["uint8", 255],
    ["int8", -128],
    ["uint16", 65535],
    ["int16", -32768],
    ["uint32", 4294967295],
    ["int32", -2147483648],
    ["float32", 3.402823466e38],
    ["float64", Number.MAX_VALUE],
  ] as const)("output nodata defaults to gdal_calc's for %s when an input has nodata", (dataType, want) => {
    const p = bandmath.params.parse({ expression: "a.b1 + b.b1", dataType });
    const inputs = (nodata: number | null) =>
      new Map([
        ["a", grid()],
        ["b", grid({ nodata })],
      ]);
    expect(bandmath.outputGrid(p, inputs(0))).toMatchObject({ nodata: want });
    expect(bandmath.outputGrid(p, inputs(null))).toMatchObject({ nodata: null });
    const pixels = block("float64", 2, 1, [[1, 2]]);
    const masked = block("float64", 2, 1, [[0, 3]]);
    const out = run(
      { expression: "a.b1 + b.b1", dataType },
      { a: input(pixels, at(2, 1)), b: input(masked, at(2, 1), 0) },
      at(2, 1),
    ).block;
    expect([...out.bands[0]!]).toEqual([dataType === "float32" ? FLT_MAX : want, 5]);
  });

  it.each([
    ["uint8", -1],
    ["uint16", 1.5],
    ["int8", 128],
  ] as const)("rejects nodata that %s cannot hold (%d)", (dataType, nodata) => {
    const p = bandmath.params.parse({ expression: "a.b1", dataType, nodata });
    const issue = { code: "nodata-range", path: "params.nodata" };
    expect(bandmath.checkParams!(p, ["a"])).toMatchObject([issue]);
    expect(bandmath.outputGrid(p, new Map([["a", grid()]]))).toMatchObject(issue);
  });

  it("combines inputs of different types, one output band per expression", () => {
    const im1 = block("uint8", 3, 2, [
      [1, 2, 3, 4, 5, 6],
      [10, 20, 30, 40, 50, 60],
    ]);
    const im2 = block("float32", 3, 2, [[0.5, -1, 255, 0.5, 0.5, 0.5]]);
    const out = run(
      { expression: ["im1.b1 * im2.b1", "im1.b2 - im1.b1", "im2.b1 > 0"], dataType: "int16" },
      { im1: input(im1, at(3, 2), 4), im2: input(im2, at(3, 2), 255) },
      at(3, 2),
    );
    expect(out.grid).toMatchObject({ bands: 3, dataType: "int16", nodata: -32768 });
    expect(out.block.bands.map((b) => [...b])).toEqual([
      [1, -2, -32768, -32768, 3, 3],
      [9, 18, 27, -32768, 45, 54],
      [1, 0, -32768, 1, 1, 1],
    ]);
  });

  it("reads a tile window inside larger input blocks that start elsewhere (100x37 edge tile)", () => {
    const tile = at(100, 37, 900, 663); // the last, partial tile of a 1000 x 700 grid
    const [aw, bw] = [at(110, 37, 890, 663), at(100, 40, 900, 660)];
    const rand = mulberry32(3);
    const fill = (w: Window, bands: number) =>
      Array.from({ length: bands }, () =>
        Array.from({ length: w.width * w.height }, () => Math.floor(rand() * 300)),
      );
    const a = block("int16", aw.width, aw.height, fill(aw, 2));
    const b = block("uint16", bw.width, bw.height, fill(bw, 1));
    const out = run(
      { expression: ["a.b2 - b.b1 * 0.5", "a.b1"], dataType: "float64" },
      { a: input(a, aw, 7), b: input(b, bw) },
      tile,
    ).block;
    expect([out.width, out.height]).toEqual([100, 37]);
    const sample = (blk: Block, w: Window, band: number, x: number, y: number): number =>
      blk.bands[band]![(y - w.y) * w.width + (x - w.x)]!;
    const want: number[][] = [[], []];
    for (let y = tile.y; y < tile.y + tile.height; y++) {
      for (let x = tile.x; x < tile.x + tile.width; x++) {
        const [a1, a2, b1] = [sample(a, aw, 0, x, y), sample(a, aw, 1, x, y), sample(b, bw, 0, x, y)];
        want[0]!.push(a2 === 7 ? Number.MAX_VALUE : a2 - b1 * 0.5);
        want[1]!.push(a1 === 7 ? Number.MAX_VALUE : a1);
      }
    }
    expect(out.bands.map((band) => [...band])).toEqual(want);
  });

  it("names a band that the input block lacks", () => {
    const b = block("uint8", 2, 1, [[1, 2]]);
    const p = bandmath.params.parse({ expression: "a.b1 + a.b3" });
    const call = () =>
      bandmath.kernel(p, new Map([["a", input(b, at(2, 1))]]), { window: at(2, 1), grid: grid() });
    expect(call).toThrow(/a\.b3 does not exist: 'a' has 1 band$/);
  });

  it("refuses an input block that does not cover the tile", () => {
    const b = block("uint8", 4, 4, [new Array(16).fill(1)]);
    expect(() => run({ expression: "a.b1" }, { a: input(b, at(4, 4, 1, 0)) }, at(4, 4))).toThrow(
      /input 'a' block 4x4\+1\+0 does not cover tile 4x4\+0\+0/,
    );
  });
});

describe("bandmath compilation", () => {
  const kinds = (dataType: DataType) => new Map([["im", { dataType, nodata: "none" as const }]]);

  it("compiles an expression once per input and output types", () => {
    const first = cachedExpression("im.b1 * 2", kinds("uint16"), "float32");
    expect(cachedExpression("im.b1 * 2", kinds("uint16"), "float32")).toBe(first);
    expect(cachedExpression("im.b1 * 2", kinds("int16"), "float32")).not.toBe(first);
    expect(cachedExpression("im.b1 * 2", kinds("uint16"), "uint8")).not.toBe(first);
  });

  it("loads each distinct band once, in first-use order", () => {
    const { refs } = cachedExpression("im.b3 + im.b1 * im.b3", kinds("uint8"), "float64");
    expect(refs).toEqual([
      { input: "im", band: 3 },
      { input: "im", band: 1 },
    ]);
  });

  it("emits nothing from a tree but its own tokens: a non-number constant is refused", () => {
    const forged = { kind: "number", value: "0; globalThis.pwned = 1", at: 0 } as unknown as Expr;
    expect(() => compileExpression(forged, kinds("uint8"), "float64")).toThrow(/not a band-math constant/);
  });

  it("names the expression and character of a syntax error", () => {
    expect(() => cachedExpression("im.b1 +", kinds("uint8"), "float64")).toThrow(
      /at character 8 of "im.b1 \+"/,
    );
  });
});
