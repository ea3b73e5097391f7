import { z } from "zod";
import { storable } from "./bandmath/nodata.ts";
import { bounds, resampling } from "./geo-params.ts";
import { crsLabel, extentOf, gridFromBounds, sameCrs, type Bounds, type Grid } from "./grid.ts";
import { mosaicKernel } from "./mosaic/kernel.ts";
import { defineOp, type OpIssue } from "./op.ts";
import { projectedExtent, resampledFootprint, withScaledMargin } from "./ortho.ts";
import { projDefinition } from "./warp/crs.ts";

const params = z.strictObject({
  method: z.enum(["first", "last", "mean", "max"]).default("first"),
  resolution: z.number().positive().optional(),
  bounds: bounds.optional(),
  resampling: resampling.default("nearest"),
  nodata: z.number().optional(),
  /** For inputs in another CRS: the approximate transform's bound, in their pixels (as reproject's). */
  maxError: z.number().positive().default(0.125),
});
export type MosaicParams = z.infer<typeof params>;
/** The params as a user writes them (z.input: defaulted fields optional), for the TypeScript API. */
export { params as mosaicParams };

/**
 * The union of the inputs' extents (or `bounds`) at the first input's resolution (or `resolution`), in
 * the first input's CRS: an input in another CRS counts with its edges projected into it.
 */
function outputGrid(p: MosaicParams, inputs: ReadonlyMap<string, Grid>): Grid | OpIssue {
  const entries = [...inputs];
  const [firstName, first] = entries[0]!;
  let union: [number, number, number, number] | null = null;
  for (const [name, grid] of entries) {
    const extent = inputExtent(name, grid, firstName, first);
    if ("code" in extent) return extent;
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

/** An input's extent in the first input's CRS, or the issue that prevents it. */
function inputExtent(name: string, grid: Grid, firstName: string, first: Grid): Bounds | OpIssue {
  const issue = (code: string, at: string, why: string): OpIssue => ({
    code,
    path: `inputs.${at}`,
    message: `'${name}' (${crsLabel(grid.crs)}) cannot be reprojected onto '${firstName}' (${crsLabel(first.crs)}): ${why}`,
  });
  if (sameCrs(grid.crs, first.crs) || grid.geoTransform === null) {
    const extent = extentOf(grid);
    return extent ?? { code: "bad-input", path: `inputs.${name}`, message: `'${name}' has no georeference` };
  }
  const to = projDefinition(first.crs);
  if ("error" in to) return issue("crs-unsupported", firstName, to.error);
  const from = projDefinition(grid.crs);
  if ("error" in from) return issue("crs-unsupported", name, from.error);
  return projectedExtent(grid, to.def) ?? issue("grid-underivable", name, "its edges do not project");
}

export const mosaic = defineOp<MosaicParams>({
  name: "mosaic",
  params,
  inputs: { kind: "any", min: 1, max: 64 },
  outputGrid,
  footprint: (p, _input, inputGrid, output) =>
    withScaledMargin(resampledFootprint(output, inputGrid, p.resampling), p.resampling, inputGrid, output),
  kernel: mosaicKernel,
});
