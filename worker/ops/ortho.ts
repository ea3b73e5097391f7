import { z } from "zod";
import { bounds, epsg, epsgCode, resampling } from "./geo-params.ts";
import { mappedRegion, type Footprint } from "./footprint.ts";
import { affineMapping, crsLabel, extentOf, gridFromBounds, type Grid } from "./grid.ts";
import { defineOp, resamplingMargin, type OpDefinition, type OpIssue } from "./op.ts";

const params = z.strictObject({
  crs: epsg,
  resolution: z.number().positive(),
  bounds: bounds.optional(),
  resampling: resampling.default("bilinear"),
  nodata: z.number().optional(),
  maxError: z.number().positive().default(0.125),
});
export type OrthoParams = z.infer<typeof params>;
/** The params as a user writes them (z.input: defaulted fields optional), for the TypeScript API. */
export { params as orthoParams };

/**
 * The output grid is `bounds` at `resolution`; without bounds, the input's extent snapped outwards to
 * the resolution, which the planner can only compute when no projection is involved.
 */
function outputGrid(p: OrthoParams, inputs: ReadonlyMap<string, Grid>): Grid | OpIssue {
  const image = inputs.get("image")!;
  const target = { epsg: epsgCode(p.crs), wkt: null };
  const rest = {
    bands: image.bands,
    dataType: image.dataType,
    crs: target,
    nodata: p.nodata ?? image.nodata,
  };
  if (p.bounds) return gridFromBounds(p.bounds, p.resolution, rest);
  const extent = extentOf(image);
  if (extent === null || image.crs?.epsg !== target.epsg) {
    return {
      code: "grid-underivable",
      path: "params.bounds",
      message: `bounds are required: the input's CRS is ${crsLabel(image.crs)}, the target is ${p.crs}, and the planner does not project coordinates`,
    };
  }
  const r = p.resolution;
  const snapped = [
    Math.floor(extent[0] / r) * r,
    Math.floor(extent[1] / r) * r,
    Math.ceil(extent[2] / r) * r,
    Math.ceil(extent[3] / r) * r,
  ] as const;
  return gridFromBounds(snapped, r, rest);
}

/**
 * Where an output tile lands in an input: exact through the geotransforms when the CRS is shared;
 * otherwise (a projection or sensor geometry, resolved by the worker) the whole input, which is
 * always sufficient.
 */
export function resampledFootprint(
  output: Grid,
  input: Grid,
  method: "nearest" | "bilinear" | "cubic",
): Footprint {
  const map = affineMapping(output, input);
  if (map === null)
    return { kind: "mapped", region: () => ({ x: 0, y: 0, width: input.width, height: input.height }) };
  return { kind: "mapped", region: mappedRegion(map, resamplingMargin(method), input.width, input.height) };
}

function resamplingOp(name: string, optional: readonly string[]): OpDefinition<OrthoParams> {
  return defineOp<OrthoParams>({
    name,
    params,
    inputs: { kind: "named", required: ["image"], optional },
    outputGrid,
    footprint: (p, _input, inputGrid, output) => resampledFootprint(output, inputGrid, p.resampling),
  });
}

export const ortho = resamplingOp("ortho", ["dem"]);
export const reproject = resamplingOp("reproject", []);
