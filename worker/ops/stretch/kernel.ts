/**
 * The per-tile half of `stretch`: each band mapped linearly from its [lo, hi] (from the reduce task) onto
 * the target range — [0, max] of an integer type (signed types too: a stretch is for display), [0, 1] of
 * a float type — as out = (v - lo)·tmax/(hi - lo) in float64, rounded half up (⌊x + 0.5⌋) and
 * saturated for integer targets, clamped for float ones. A band with hi <= lo maps every valid sample to
 * 0. Nodata or NaN input samples become the output nodata (0 when the output has none); a valid
 * sample that would land on an integer output nodata moves one step towards the middle of the range.
 */
import { INTEGER_RANGE, typedArrayFor } from "../../io/raster.ts";
import { nodataSample } from "../bandmath/nodata.ts";
import type { Kernel } from "../kernel.ts";
import type { StretchParams } from "../stretch.ts";
import { decodeBounds } from "./reduce.ts";

export const stretchKernel: Kernel<StretchParams> = (_params, inputs, output) => {
  const [alias, input] = [...inputs][0]!;
  if (input.reduced === undefined) throw new Error(`stretch input '${alias}' came without its statistics`);
  const { grid, window } = output;
  const bounds = decodeBounds(input.reduced, grid.bands);
  const skip = nodataSample(input.block.dataType, input.grid.nodata);
  const range = INTEGER_RANGE[grid.dataType];
  const integer = range !== null;
  const tmax = range === null ? 1 : range[1];
  const outNodata = nodataSample(grid.dataType, grid.nodata);
  const masked = outNodata ?? 0;
  const dodge = integer && outNodata !== null ? (outNodata <= tmax / 2 ? 1 : -1) : 0;
  const n = window.width * window.height;
  const allocate = output.allocate ?? typedArrayFor;
  const bands = bounds.map(({ lo, hi }, b) => {
    const src = input.block.bands[b]!;
    const dst = allocate(grid.dataType, n);
    // Multiply, then divide (not by a precomputed ratio): exact halves stay exact, e.g. 100·255/200 = 127.5.
    const span = hi > lo ? hi - lo : Infinity;
    for (let i = 0; i < n; i++) {
      const v = src[i]!;
      if (v !== v || v === skip) {
        dst[i] = masked;
        continue;
      }
      let x = ((v - lo) * tmax) / span;
      if (integer) {
        x = Math.floor(x + 0.5);
        x = x < 0 ? 0 : x > tmax ? tmax : x;
        if (x === outNodata) x += dodge;
      } else {
        x = x < 0 ? 0 : x > 1 ? 1 : x;
      }
      dst[i] = x;
    }
    return dst;
  });
  return { width: window.width, height: window.height, dataType: grid.dataType, bands };
};
