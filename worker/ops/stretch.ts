import { z } from "zod";
import { DATA_TYPES } from "../io/raster.ts";
import { nodataSample, storable } from "./bandmath/nodata.ts";
import { retyped } from "./grid.ts";
import type { Reduction } from "./kernel.ts";
import { defineOp } from "./op.ts";
import { encodePartial, tilePartial } from "./stretch/histogram.ts";
import { stretchKernel } from "./stretch/kernel.ts";
import { encodeBounds, reduceBounds } from "./stretch/reduce.ts";

const params = z
  .strictObject({
    method: z.enum(["percentile", "minmax"]).default("percentile"),
    low: z.number().min(0).max(100).default(2),
    high: z.number().min(0).max(100).default(98),
    dataType: z.enum(DATA_TYPES).default("uint8"),
    nodata: z.number().optional(),
  })
  .refine((p) => p.low < p.high, { path: ["high"], message: "high must be above low" });
export type StretchParams = z.infer<typeof params>;
/** The params as a user writes them (z.input: defaulted fields optional), for the TypeScript API. */
export { params as stretchParams };

/** Needs global statistics: per-tile histograms (partials), reduced once, then applied per tile. */
export const stretch = defineOp<StretchParams>({
  name: "stretch",
  params,
  inputs: { kind: "any", min: 1, max: 1 },
  checkParams: (p) =>
    p.nodata === undefined || storable(p.dataType, p.nodata)
      ? []
      : [
          {
            code: "nodata-range",
            path: "params.nodata",
            message: `nodata ${p.nodata} cannot be stored as ${p.dataType}`,
          },
        ],
  outputGrid: retyped,
  footprint: () => ({ kind: "reduction" }),
  kernel: stretchKernel,
});

/** Per-band histograms of each tile (stretch/histogram.ts), merged into per-band [lo, hi] (stretch/reduce.ts). */
export const stretchReduction: Reduction<StretchParams> = {
  partial: (_p, input) =>
    encodePartial(tilePartial(input.block, nodataSample(input.block.dataType, input.grid.nodata))),
  reduce: async (p, grid, partials) =>
    encodeBounds(await reduceBounds(partials, grid.bands, grid.dataType, p)),
};
