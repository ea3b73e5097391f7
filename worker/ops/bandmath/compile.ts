import type { DataType, TypedArray } from "../../io/raster.ts";
import { bandRefs, type Expr } from "./ast.ts";
import { emitExpression, HELPERS, pow } from "./codegen.ts";
import { INTEGER_RANGE } from "../../io/raster.ts";
import { parseExpression } from "./parse.ts";

/** What the generated loop is specialised on for one input: its array type and how its nodata is tested. */
export interface InputKind {
  readonly dataType: DataType;
  readonly nodata: "none" | "value" | "nan";
}

/**
 * One output band over a rectangle, `width` x `height`. Row y of the output starts at
 * `outOffset + y * outStride`; row y of reference i at `offsets[i] + y * strides[i]` in `arrays[i]`.
 * `nodata[i]` is reference i's nodata sample (ignored when its input has none or NaN); `fill` is written
 * where a reference is nodata and where an integer output would get NaN.
 */
export type BandLoop = (
  width: number,
  height: number,
  out: TypedArray,
  outOffset: number,
  outStride: number,
  arrays: readonly TypedArray[],
  offsets: readonly number[],
  strides: readonly number[],
  nodata: readonly number[],
  fill: number,
) => void;

export interface CompiledExpression {
  /** The distinct band references, in the order the loop takes their arrays. */
  readonly refs: readonly { readonly input: string; readonly band: number }[];
  readonly loop: BandLoop;
}

let compiled = 0;

/**
 * Generate and compile the loop of one expression: every distinct band reference is loaded once per
 * pixel into a local, tested against its input's nodata, and the AST's code is evaluated in float64.
 * Each call yields a new function with its own source (a serial number in a comment), so V8 keeps
 * separate type feedback per specialisation and every array access stays monomorphic.
 */
export function compileExpression(
  expr: Expr,
  inputs: ReadonlyMap<string, InputKind>,
  outType: DataType,
): CompiledExpression {
  const refs: { input: string; band: number }[] = [];
  const names = new Map<string, number>();
  for (const r of bandRefs(expr)) {
    const key = `${r.input}\0${r.band}`;
    if (names.has(key)) continue;
    if (!inputs.has(r.input)) throw new Error(`band math: '${r.input}' is not an input of this step`);
    names.set(key, refs.length);
    refs.push({ input: r.input, band: r.band });
  }
  const value = emitExpression(expr, (input, band) => `v${names.get(`${input}\0${band}`)!}`);
  const indices = refs.map((_, i) => i);
  const masked = indices.filter((i) => inputs.get(refs[i]!.input)!.nodata !== "none");
  const isNodata = (i: number): string =>
    inputs.get(refs[i]!.input)!.nodata === "nan" ? `v${i} !== v${i}` : `v${i} === n${i}`;
  const load = (is: readonly number[]): string => is.map((i) => `const v${i} = a${i}[r${i} + x];`).join(" ");
  const range = INTEGER_RANGE[outType];
  // The main loop has no data-dependent branch (a mispredicted one costs more than the arithmetic):
  // integers saturate, then round half away from zero as trunc(r) + trunc(2 (r - trunc(r))), both exact;
  // nodata samples and NaN only set a per-row flag. NaN stores as 0 in an integer array; a second pass,
  // over flagged rows only, writes `fill` where a reference is nodata or (integers) the value is NaN.
  const main = `
        ${load(indices)}
        ${masked.length ? `hit |= ${masked.map((i) => `(${isNodata(i)} ? 1 : 0)`).join(" | ")};` : ""}
        let r = ${value};
        ${
          range === null
            ? ""
            : `nan |= r !== r ? 1 : 0;
        r = r < ${range[0]} ? ${range[0]} : r > ${range[1]} ? ${range[1]} : r;
        const t = Math.trunc(r);
        r = t + Math.trunc((r - t) * 2);`
        }
        out[o + x] = r;`;
  const redo = [
    ...(masked.length ? ["hit !== 0"] : []),
    ...(range === null ? [] : ["(nan !== 0 && fill !== 0)"]),
  ];
  const fix = `
        ${load(range === null ? masked : indices)}
        ${masked.length ? `if (${masked.map(isNodata).join(" || ")}) out[o + x] = fill;` : ""}
        ${range === null ? "" : `${masked.length ? "else" : ""} { const r = ${value}; if (r !== r) out[o + x] = fill; }`}`;
  const body = `"use strict";
  // band-math loop #${++compiled}
  return function (width, height, out, outOffset, outStride, arrays, offsets, strides, nodata, fill) {
    ${indices.map((i) => `const a${i} = arrays[${i}], s${i} = strides[${i}], n${i} = nodata[${i}];`).join("\n")}
    for (let y = 0; y < height; y++) {
      const o = outOffset + y * outStride;
      ${indices.map((i) => `const r${i} = offsets[${i}] + y * s${i};`).join("\n")}
      let hit = 0, nan = 0;
      for (let x = 0; x < width; x++) {${main}
      }
      ${
        redo.length
          ? `if (${redo.join(" || ")}) for (let x = 0; x < width; x++) {${fix}
      }`
          : ""
      }
    }
  };`;
  const loop = new Function(HELPERS.pow, body)(pow) as BandLoop;
  return { refs, loop };
}

const CACHE_LIMIT = 512;
const cache = new Map<string, CompiledExpression>();

/**
 * The compiled loop of expression `src` for these inputs and output type, compiled once per process.
 * Throws on a syntax error: the spec check rejects those before any worker runs.
 */
export function cachedExpression(
  src: string,
  inputs: ReadonlyMap<string, InputKind>,
  outType: DataType,
): CompiledExpression {
  const kinds = [...inputs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const key = JSON.stringify([src, outType, kinds.map(([a, k]) => [a, k.dataType, k.nodata])]);
  let hit = cache.get(key);
  if (!hit) {
    const parsed = parseExpression(src);
    if (!parsed.ok) {
      throw new Error(`band math: ${parsed.error.message} (at character ${parsed.error.at + 1} of "${src}")`);
    }
    hit = compileExpression(parsed.expr, inputs, outType);
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(key, hit);
  }
  return hit;
}
