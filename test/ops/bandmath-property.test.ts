import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DATA_TYPES, typedArrayFor, type Block, type DataType, type Window } from "../../worker/io/raster.ts";
import { bandmath } from "../../worker/ops/bandmath.ts";
import { bandRefs, type BinaryOp, type Expr } from "../../worker/ops/bandmath/ast.ts";
import { numberLiteral } from "../../worker/ops/bandmath/codegen.ts";
import { parseExpression } from "../../worker/ops/bandmath/parse.ts";
import type { Grid } from "../../worker/ops/grid.ts";

/** C99 pow, written from its special cases rather than from the kernel's helper. */
function cPow(a: number, b: number): number {
  if (b === 0 || a === 1) return 1;
  if (a === -1 && Math.abs(b) === Infinity) return 1;
  return Math.pow(a, b);
}

const BINARY: Record<BinaryOp, (a: number, b: number) => number> = {
  "+": (a, b) => a + b,
  "-": (a, b) => a - b,
  "*": (a, b) => a * b,
  "/": (a, b) => a / b,
  "^": cPow,
  "<": (a, b) => Number(a < b),
  "<=": (a, b) => Number(a <= b),
  ">": (a, b) => Number(a > b),
  ">=": (a, b) => Number(a >= b),
  "==": (a, b) => Number(a === b),
  "!=": (a, b) => Number(a !== b),
  "&&": (a, b) => Number(a !== 0 && b !== 0),
  "||": (a, b) => Number(a !== 0 || b !== 0),
};

/** The tiny reference interpreter: one pixel, straight from the tree. */
function reference(e: Expr, sample: (input: string, band: number) => number): number {
  const ev = (n: Expr): number => reference(n, sample);
  switch (e.kind) {
    case "number":
      return e.value;
    case "band":
      return sample(e.input, e.band);
    case "negate":
      return -ev(e.arg);
    case "not":
      return ev(e.arg) === 0 ? 1 : 0;
    case "binary":
      return BINARY[e.op](ev(e.left), ev(e.right));
    case "conditional":
      return ev(e.test) !== 0 ? ev(e.then) : ev(e.else);
    case "call": {
      const args = e.args.map(ev);
      const anyNaN = args.some(Number.isNaN);
      switch (e.fn) {
        case "abs":
          return Math.abs(args[0]!);
        case "sqrt":
          return Math.sqrt(args[0]!);
        case "log":
          return Math.log(args[0]!);
        case "exp":
          return Math.exp(args[0]!);
        case "min":
          return anyNaN ? NaN : args.reduce((m, v) => (v < m || (v === m && Object.is(v, -0)) ? v : m));
        case "max":
          return anyNaN ? NaN : args.reduce((m, v) => (v > m || (v === m && Object.is(v, 0)) ? v : m));
        case "clamp":
          return Math.min(Math.max(args[0]!, args[1]!), args[2]!);
      }
    }
  }
}

const RANGES: Partial<Record<DataType, readonly [number, number]>> = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  uint32: [0, 4294967295],
  int32: [-2147483648, 2147483647],
};

/** What one pixel becomes in `dataType`, before the typed array stores it. */
function stored(dataType: DataType, v: number, nodata: number | null): number {
  const range = RANGES[dataType];
  if (!range) return v;
  if (Number.isNaN(v)) return nodata ?? 0;
  const saturated = Math.min(Math.max(v, range[0]), range[1]);
  const m = Math.abs(saturated);
  const whole = Math.floor(m);
  const rounded = m - whole >= 0.5 ? whole + 1 : whole;
  return saturated < 0 ? -rounded : rounded;
}

const FUNCTIONS = [
  ["abs", 1],
  ["sqrt", 1],
  ["log", 1],
  ["exp", 1],
  ["min", 2],
  ["min", 3],
  ["max", 2],
  ["max", 3],
  ["clamp", 3],
] as const;

const paren = (s: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.tuple(s, fc.boolean()).map(([t, p]) => (p ? `(${t})` : t));

const { expr } = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom("a.b1", "a.b2", "b.b1"),
    fc
      .oneof(fc.integer({ min: 0, max: 10 }), fc.double({ min: 0, max: 1e6, noNaN: true }))
      .map((v) => String(Math.abs(v))),
    fc.tuple(fc.constantFrom("-", "!"), paren(tie("expr"))).map(([op, a]) => `${op}${a}`),
    fc
      .tuple(paren(tie("expr")), fc.constantFrom(...(Object.keys(BINARY) as BinaryOp[])), paren(tie("expr")))
      .map(([a, op, b]) => `${a} ${op} ${b}`),
    fc
      .tuple(paren(tie("expr")), paren(tie("expr")), paren(tie("expr")))
      .map(([t, a, b]) => `${t} ? ${a} : ${b}`),
    fc
      .constantFrom(...FUNCTIONS)
      .chain(([fn, n]) =>
        fc.array(tie("expr"), { minLength: n, maxLength: n }).map((args) => `${fn}(${args.join(", ")})`),
      ),
  ),
}));

const aSample = fc.oneof(
  fc.double(),
  fc.integer({ min: -4, max: 4 }),
  fc.constantFrom(0, 1, -1, NaN, Infinity, -Infinity, 0.5, -0.5, 2.5, 1e300),
);

const scene = fc.record({
  expression: expr,
  dataType: fc.constantFrom(...DATA_TYPES),
  nodata: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
  aNodata: fc.constantFrom(null, 0, NaN),
  bNodata: fc.constantFrom(null, -1),
  width: fc.integer({ min: 1, max: 5 }),
  height: fc.integer({ min: 1, max: 3 }),
  margin: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
  seed: fc.array(aSample, { minLength: 2 * 45, maxLength: 2 * 45 }),
  bSeed: fc.array(fc.integer({ min: -2, max: 300 }), { minLength: 15, maxLength: 15 }),
});

const grid = (over: Partial<Grid>): Grid => ({
  width: 64,
  height: 64,
  bands: 1,
  dataType: "float64",
  geoTransform: null,
  crs: null,
  nodata: null,
  ...over,
});

describe("bandmath kernel against a reference interpreter", () => {
  it("agrees on random expressions, pixels, nodata, windows and output types", () => {
    fc.assert(
      fc.property(scene, (s) => {
        const parsed = parseExpression(s.expression);
        if (!parsed.ok) throw new Error(`generated an unparsable expression: ${s.expression}`);
        const tile: Window = { x: 10, y: 20, width: s.width, height: s.height };
        const [mx, my] = s.margin;
        const aw: Window = { x: 10 - mx, y: 20 - my, width: s.width + 2 * mx, height: s.height + my };
        const aBlock: Block = {
          width: aw.width,
          height: aw.height,
          dataType: "float64",
          bands: [0, 1].map((b) =>
            Float64Array.from({ length: aw.width * aw.height }, (_, i) => s.seed[b * 45 + i]!),
          ),
        };
        const bBlock: Block = {
          width: s.width,
          height: s.height,
          dataType: "int16",
          bands: [Int16Array.from({ length: s.width * s.height }, (_, i) => s.bSeed[i]!)],
        };
        const inputs = new Map([
          ["a", { block: aBlock, window: aw, grid: grid({ bands: 2, nodata: s.aNodata }) }],
          ["b", { block: bBlock, window: tile, grid: grid({ dataType: "int16", nodata: s.bNodata }) }],
        ]);
        const p = bandmath.params.parse({ expression: s.expression, dataType: s.dataType, nodata: s.nodata });
        const g = bandmath.outputGrid(p, new Map([...inputs].map(([k, v]) => [k, v.grid])));
        if ("code" in g) throw new Error(g.message);
        const out = bandmath.kernel(p, inputs, { window: tile, grid: g }).bands[0]!;

        const want = typedArrayFor(s.dataType, s.width * s.height);
        for (let y = 0; y < s.height; y++) {
          for (let x = 0; x < s.width; x++) {
            const sample = (input: string, band: number): number =>
              input === "a"
                ? aBlock.bands[band - 1]![(y + my) * aw.width + x + mx]!
                : bBlock.bands[0]![y * s.width + x]!;
            const isNodata = (v: number, nd: number | null): boolean =>
              nd !== null && (Number.isNaN(nd) ? Number.isNaN(v) : v === nd);
            // Every band the expression names counts, read or not on this pixel's branch.
            const masked = bandRefs(parsed.expr).some((r) =>
              isNodata(sample(r.input, r.band), r.input === "a" ? s.aNodata : s.bNodata),
            );
            const v = reference(parsed.expr, sample);
            want[y * s.width + x] = masked ? g.nodata! : stored(s.dataType, v, g.nodata);
          }
        }
        for (let i = 0; i < want.length; i++) {
          if (!Object.is(out[i], want[i])) {
            throw new Error(`${s.expression} as ${s.dataType}: pixel ${i} is ${out[i]}, expected ${want[i]}`);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("emits every double as a literal that reads back as the same double", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (v) => {
        expect(Object.is(new Function(`return ${numberLiteral(v)};`)(), v)).toBe(true);
      }),
    );
  });
});
