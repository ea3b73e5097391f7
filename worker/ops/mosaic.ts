import { z } from "zod";
import { storable } from "./bandmath/nodata.ts";
import { bounds, resampling } from "./geo-params.ts";
import { crsLabel, extentOf, gridFromBounds, sameCrs, type Bounds, type Grid } from "./grid.ts";
import { mosaicKernel } from "./mosaic/kernel.ts";
import { defineOp, type OpIssue } from "./op.ts";
import { resampledFootprint } from "./ortho.ts";

const params = z.strictObject({
  method: z.enum(["first", "last", "mean", "max"]).default("first"),
  resolution: z.number().positive().optional(),
  bounds: bounds.optional(),
  resampling: resampling.default("nearest"),
  nodata: z.number().optional(),
});
export type MosaicParams = z.infer<typeof params>;
/** The params as a user writes them (z.input: defaulted fields optional), for the TypeScript API. */
export { params as mosaicParams };

/** The union of the inputs' extents (or `bounds`) at the first input's resolution (or `resolution`). */
function outputGrid(p: MosaicParams, inputs: ReadonlyMap<string, Grid>): Grid | OpIssue {
  const entries = [...inputs];
  const [firstName, first] = entries[0]!;
  let union: [number, number, number, number] | null = null;
  for (const [name, grid] of entries) {
    const extent = extentOf(grid);
    if (extent === null)
      return { code: "bad-input", path: `inputs.${name}`, message: `'${name}' has no georeference` };
    if (!sameCrs(grid.crs, first.crs)) {
      return {
        code: "grid-mismatch",
        path: `inputs.${name}`,
        message: `'${name}' is in ${crsLabel(grid.crs)}, '${firstName}' in ${crsLabel(first.crs)}: reproject it first`,
      };
    }
    if (grid.bands !== first.bands) {
      return {
        code: "grid-mismatch",
        path: `inputs.${name}`,
        message: `'${name}' has ${grid.bands} bands, '${firstName}' ${first.bands}`,
      };
    }
    union = union
      ? [
          Math.min(union[0], extent[0]),
          Math.min(union[1], extent[1]),
          Math.max(union[2], extent[2]),
          Math.max(union[3], extent[3]),
        ]
      : [...extent];
  }
  if (p.nodata !== undefined && !storable(first.dataType, p.nodata)) {
    return {
      code: "nodata-range",
      path: "params.nodata",
      message: `nodata ${p.nodata} cannot be stored as ${first.dataType} (the type of '${firstName}')`,
    };
  }
  const resolution = p.resolution ?? Math.abs(first.geoTransform![1]);
  const b: Bounds = p.bounds ?? union!;
  return gridFromBounds(b, resolution, {
    bands: first.bands,
    dataType: first.dataType,
    crs: first.crs,
    nodata: p.nodata ?? first.nodata,
  });
}

export const mosaic = defineOp<MosaicParams>({
  name: "mosaic",
  params,
  inputs: { kind: "any", min: 1, max: 64 },
  outputGrid,
  footprint: (p, _input, inputGrid, output) => resampledFootprint(output, inputGrid, p.resampling),
  kernel: mosaicKernel,
});
