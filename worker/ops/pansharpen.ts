import { z } from "zod";
import { storable } from "./bandmath/nodata.ts";
import { resampling } from "./geo-params.ts";
import { sameCrs } from "./grid.ts";
import { defineOp } from "./op.ts";
import { pansharpenKernel } from "./pansharpen/kernel.ts";
import { resampledFootprint } from "./ortho.ts";

const params = z.strictObject({
  /** brovey: GDAL's weighted Brovey; rcs: OTB's ratio to the box-smoothed PAN (see pansharpen/kernel.ts). */
  method: z.enum(["brovey", "rcs"]).default("brovey"),
  /** rcs: the smoothing box's radius in PAN pixels (OTB's default 3: a 7 x 7 box). */
  radius: z.number().int().min(1).max(64).default(3),
  weights: z.array(z.number().nonnegative()).min(1).optional(),
  resampling: resampling.default("cubic"),
  nodata: z.number().optional(),
});
export type PansharpenParams = z.infer<typeof params>;
/** The params as a user writes them (z.input: defaulted fields optional), for the TypeScript API. */
export { params as pansharpenParams };

/**
 * MS bands resampled onto the PAN lattice: the output has the PAN grid and the MS bands and type. PAN is
 * read pointwise for brovey, with a halo of `radius` for rcs (its box mean).
 */
export const pansharpen = defineOp<PansharpenParams>({
  name: "pansharpen",
  params,
  inputs: { kind: "named", required: ["pan", "ms"], optional: [] },
  checkParams: (p) =>
    p.method === "rcs" && p.weights
      ? [{ code: "bad-params", path: "params.weights", message: "weights apply to method brovey only" }]
      : [],
  outputGrid(p, inputs) {
    const pan = inputs.get("pan")!;
    const ms = inputs.get("ms")!;
    if (pan.bands !== 1) {
      return {
        code: "bad-input",
        path: "inputs.pan",
        message: `the panchromatic input must have 1 band, it has ${pan.bands}`,
      };
    }
    if (pan.geoTransform === null || ms.geoTransform === null || !sameCrs(pan.crs, ms.crs)) {
      return {
        code: "grid-mismatch",
        path: "inputs.ms",
        message: "pan and ms must both be georeferenced in the same CRS",
      };
    }
    if (p.weights && p.weights.length !== ms.bands) {
      return {
        code: "bad-params",
        path: "params.weights",
        message: `${p.weights.length} weights for ${ms.bands} ms bands`,
      };
    }
    if (p.nodata !== undefined && !storable(ms.dataType, p.nodata)) {
      return {
        code: "nodata-range",
        path: "params.nodata",
        message: `nodata ${p.nodata} cannot be stored as ${ms.dataType} (the type of the ms input)`,
      };
    }
    return { ...pan, bands: ms.bands, dataType: ms.dataType, nodata: p.nodata ?? ms.nodata };
  },
  footprint: (p, input, inputGrid, output) => {
    if (input === "ms") return resampledFootprint(output, inputGrid, p.resampling);
    return p.method === "rcs" ? { kind: "halo", radius: p.radius } : { kind: "pointwise" };
  },
  kernel: pansharpenKernel,
});
