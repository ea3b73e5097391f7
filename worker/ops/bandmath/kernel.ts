import { typedArrayFor, type TypedArray } from "../../io/raster.ts";
import type { Kernel } from "../kernel.ts";
import { cachedExpression, type InputKind } from "./compile.ts";
import { nodataSample, outputNodata, storable } from "./nodata.ts";
import { expressionsOf, type BandmathParams } from "./params.ts";

/**
 * Band math, one output band per expression, pixel by pixel:
 * - arithmetic in float64; `^` is C's pow; `log` is natural; division is IEEE (x/0 = ±Infinity, 0/0 = NaN);
 *   comparisons give 1 or 0; `&&`, `||`, `!` and `?:` treat any nonzero value (NaN included) as true;
 *   min/max give NaN if an argument is NaN; clamp(x, lo, hi) = min(max(x, lo), hi).
 * - A sample is nodata when its input's grid has a nodata value and the sample equals it in the band's
 *   type (NaN nodata matches NaN). Where any band an expression references is nodata, that output pixel
 *   is the output nodata (params.nodata, else gdal_calc.py's default for the type: see outputNodata).
 * - Stored as `dataType`: float32 rounds to nearest, float64 as is; integer types saturate to their
 *   range, then round half away from zero (2.5 → 3, -2.5 → -3); NaN becomes the output nodata, or 0
 *   when the output has none.
 * Expressions compile once per process into loops specialised on the inputs' types (see compile.ts).
 */
export const bandmathKernel: Kernel<BandmathParams> = (params, inputs, output) => {
  const { window: w, grid } = output;
  const kinds = new Map<string, InputKind>();
  const samples = new Map<string, number>();
  for (const [alias, input] of inputs) {
    const iw = input.window;
    if (iw.x > w.x || iw.y > w.y || iw.x + iw.width < w.x + w.width || iw.y + iw.height < w.y + w.height) {
      throw new RangeError(
        `band math: input '${alias}' block ${iw.width}x${iw.height}+${iw.x}+${iw.y} does not cover tile ${w.width}x${w.height}+${w.x}+${w.y}`,
      );
    }
    const sample = nodataSample(input.block.dataType, input.grid.nodata);
    kinds.set(alias, {
      dataType: input.block.dataType,
      nodata: sample === null ? "none" : Number.isNaN(sample) ? "nan" : "value",
    });
    samples.set(alias, sample ?? 0);
  }
  const nodata =
    grid.nodata ??
    outputNodata(
      grid.dataType,
      params.nodata,
      [...inputs.values()].map((i) => i.grid),
    );
  if (nodata !== null && !storable(grid.dataType, nodata)) {
    throw new RangeError(`band math: nodata ${nodata} cannot be stored as ${grid.dataType}`);
  }
  const bands: TypedArray[] = expressionsOf(params).map((src) => {
    const { refs, loop } = cachedExpression(src, kinds, grid.dataType);
    const arrays: TypedArray[] = [];
    const offsets: number[] = [];
    const strides: number[] = [];
    const nd: number[] = [];
    for (const { input: alias, band } of refs) {
      const input = inputs.get(alias)!;
      const array = input.block.bands[band - 1];
      if (!array) {
        throw new RangeError(
          `band math: ${alias}.b${band} does not exist: '${alias}' has ${input.block.bands.length} band${input.block.bands.length === 1 ? "" : "s"}`,
        );
      }
      arrays.push(array);
      offsets.push((w.y - input.window.y) * input.block.width + (w.x - input.window.x));
      strides.push(input.block.width);
      nd.push(samples.get(alias)!);
    }
    const out = (output.allocate ?? typedArrayFor)(grid.dataType, w.width * w.height);
    loop(w.width, w.height, out, 0, w.width, arrays, offsets, strides, nd, nodata ?? 0);
    return out;
  });
  return { width: w.width, height: w.height, dataType: grid.dataType, bands };
};
