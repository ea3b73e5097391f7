import { z } from "zod";
import type { Rpc } from "../io/tiff/rpc.ts";
import { bounds, epsg, epsgCode, resampling } from "./geo-params.ts";
import type { Resampling } from "./warp/resample.ts";
import { mappedRegion, mappedRegionOf, type Footprint, type PixelMapping } from "./footprint.ts";
import {
  affineMapping,
  clipWindow,
  crsLabel,
  extentOf,
  gridFromBounds,
  type Bounds,
  type Grid,
} from "./grid.ts";
import { defineOp, resamplingMargin, type OpDefinition, type OpIssue } from "./op.ts";
import type { ExactMapping } from "./warp/approx.ts";
import { LONLAT, pointTransform, projDefinition } from "./warp/crs.ts";
import { constantHeight } from "./warp/dem.ts";
import { scaledMargin } from "./warp/downsample.ts";
import { orthoKernel, reprojectKernel, warpScale } from "./warp/kernels.ts";
import { orthoMapping, reprojectMapping } from "./warp/mappings.ts";
import { imageToGround } from "./warp/rpc-model.ts";

const reprojectSchema = z.strictObject({
  crs: epsg,
  resolution: z.number().positive(),
  bounds: bounds.optional(),
  resampling: resampling.default("bilinear"),
  nodata: z.number().optional(),
  maxError: z.number().positive().default(0.125),
});
const orthoSchema = reprojectSchema.extend({
  height: z.number().optional(),
  heightRange: z
    .tuple([z.number(), z.number()])
    .refine(([lo, hi]) => lo <= hi, "heightRange is [lowest, highest] with lowest ≤ highest")
    .optional(),
});
export type OrthoParams = z.infer<typeof orthoSchema>;
export type ReprojectParams = z.infer<typeof reprojectSchema>;
/** The params as a user writes them (z.input: defaulted fields optional), for the TypeScript API. */
export { orthoSchema as orthoParams, reprojectSchema as reprojectParams };

/** Points per image edge whose ground positions bound the default output grid. */
const EDGE_POINTS = 32;

/**
 * The output grid is `bounds` at `resolution`; without bounds, the input's footprint on the ground (an
 * RPC image's edges at the model's mean height, or the input's extent projected to the target CRS),
 * snapped outwards to the resolution. `viaRpc`: ortho maps an image through its RPC model when it has
 * one; reproject uses georeferences only.
 */
function outputGrid(p: ReprojectParams, inputs: ReadonlyMap<string, Grid>, viaRpc: boolean): Grid | OpIssue {
  const image = inputs.get("image")!;
  const target = { epsg: epsgCode(p.crs), wkt: null };
  const targetDef = projDefinition(target);
  if ("error" in targetDef) return { code: "crs-unsupported", path: "params.crs", message: targetDef.error };
  const dem = inputs.get("dem");
  if (dem && image.rpc) {
    const d = projDefinition(dem.crs);
    if ("error" in d || dem.geoTransform === null) {
      const message = "error" in d ? d.error : "the DEM has no geotransform";
      return { code: "dem-unusable", path: "inputs.dem", message };
    }
  }
  const rest = {
    bands: image.bands,
    dataType: image.dataType,
    crs: target,
    nodata: p.nodata ?? image.nodata,
  };
  const rpc = viaRpc ? (image.rpc ?? null) : null;
  if (rpc === null) {
    const d = projDefinition(image.crs);
    if (image.geoTransform === null || "error" in d) {
      return {
        code: "grid-underivable",
        path: "inputs.image",
        message: `${viaRpc ? "the input has neither an RPC model nor" : "the input has no"} usable georeference (CRS ${crsLabel(image.crs)}${"error" in d ? `: ${d.error}` : ""})${image.rpc && !viaRpc ? "; an image with an RPC model needs ortho" : ""}`,
      };
    }
  }
  if (p.bounds) return gridFromBounds(p.bounds, p.resolution, rest);
  const extent = rpc ? rpcExtent(rpc, image, targetDef.def) : projectedExtent(image, targetDef.def);
  if (extent === null) {
    return {
      code: "grid-underivable",
      path: "params.bounds",
      message: `bounds are required: the input's footprint could not be projected to ${p.crs}`,
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

/** Bounding box of points along the edges of a width x height image, mapped by `map` (NaN skipped). */
function edgeBox(width: number, height: number, map: ExactMapping): Bounds | null {
  const out = new Float64Array(2);
  let box: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
  const visit = (x: number, y: number): void => {
    map(x, y, out);
    if (!Number.isFinite(out[0]!) || !Number.isFinite(out[1]!)) return;
    box = [
      Math.min(box[0], out[0]!),
      Math.min(box[1], out[1]!),
      Math.max(box[2], out[0]!),
      Math.max(box[3], out[1]!),
    ];
  };
  for (let i = 0; i <= EDGE_POINTS; i++) {
    const fx = (width * i) / EDGE_POINTS;
    const fy = (height * i) / EDGE_POINTS;
    visit(fx, 0);
    visit(fx, height);
    visit(0, fy);
    visit(width, fy);
  }
  return box[0] <= box[2] ? box : null;
}

function rpcExtent(rpc: Rpc, image: Grid, targetDef: string): Bounds | null {
  const i2g = imageToGround(rpc);
  const project = pointTransform(LONLAT, targetDef);
  return edgeBox(image.width, image.height, (x, y, out) => {
    i2g(x - 0.5, y - 0.5, rpc.heightOff, out);
    project(out[0]!, out[1]!, out);
  });
}

/** The extent of a georeferenced grid in another CRS: its edges projected (null when proj4 cannot). */
export function projectedExtent(image: Grid, targetDef: string): Bounds | null {
  const gt = image.geoTransform!;
  const d = projDefinition(image.crs);
  if ("error" in d) return null;
  if (d.def === targetDef) return extentOf(image);
  const project = pointTransform(d.def, targetDef);
  return edgeBox(image.width, image.height, (x, y, out) =>
    project(gt[0] + x * gt[1] + y * gt[2], gt[3] + x * gt[4] + y * gt[5], out),
  );
}

function asPixelMapping(map: ExactMapping): PixelMapping {
  const out = new Float64Array(2);
  return (x, y) => {
    map(x, y, out);
    return [out[0]!, out[1]!];
  };
}

const WHOLE = (input: Grid): Footprint => ({
  kind: "mapped",
  region: () => ({ x: 0, y: 0, width: input.width, height: input.height }),
});

/**
 * Where an output tile lands in an input on a map grid: exact through the geotransforms when the CRS is
 * shared; else the tile's edges projected with proj4 (plus one pixel for the approximate transform).
 * Only an input whose georeference proj4 cannot use falls back to the whole input.
 */
export function resampledFootprint(
  output: Grid,
  input: Grid,
  method: "nearest" | "bilinear" | "cubic",
): Footprint {
  const affine = affineMapping(output, input);
  const margin = resamplingMargin(method);
  if (affine !== null)
    return { kind: "mapped", region: mappedRegion(affine, margin, input.width, input.height) };
  const m = reprojectMapping(output, input);
  if ("error" in m) return WHOLE(input);
  return {
    kind: "mapped",
    region: mappedRegion(asPixelMapping(m.map), margin + 1, input.width, input.height),
  };
}

/**
 * The image region an output tile needs through an RPC model: the tile's edges mapped at the lowest and
 * the highest ground height (`heightRange`, by default the range the model is fitted for, heightOff ±
 * heightScale, widened to the constant `height`: the footprint does not know whether a DEM is given);
 * any height in between moves a point between the two images. One box around both, plus the resampling
 * margin and one pixel for the approximate transform. Terrain beyond the range may read outside the
 * region (those pixels become nodata): `heightRange` is there for DEMs that exceed the model's range.
 */
function rpcFootprint(p: OrthoParams, rpc: Rpc, input: Grid, output: Grid): Footprint {
  const h = p.height ?? 0;
  const heights = p.heightRange ?? [
    Math.min(rpc.heightOff - rpc.heightScale, h),
    Math.max(rpc.heightOff + rpc.heightScale, h),
  ];
  const maps: PixelMapping[] = [];
  for (const height of heights) {
    const m = orthoMapping(rpc, output, constantHeight(height));
    if ("error" in m) return WHOLE(input);
    maps.push(asPixelMapping(m.map));
  }
  const margin = resamplingMargin(p.resampling) + 1;
  return { kind: "mapped", region: mappedRegionOf(maps, margin, input.width, input.height) };
}

/**
 * A footprint grown to the reach of a kernel stretched for downsampling (see warpScale): the same
 * scale as the kernel's, from the same mapping at the tile's centre.
 */
export function withScaledMargin(fp: Footprint, method: Resampling, input: Grid, output: Grid): Footprint {
  if (fp.kind !== "mapped" || method === "nearest") return fp;
  return {
    kind: "mapped",
    region: (tile) => {
      const r = fp.region(tile);
      const scale = warpScale(method, input, output, tile);
      if (r === null || scale === null) return r;
      const extra = scaledMargin(method, scale) - resamplingMargin(method);
      const grown = {
        x: r.x - extra,
        y: r.y - extra,
        width: r.width + 2 * extra,
        height: r.height + 2 * extra,
      };
      return clipWindow(grown, input.width, input.height);
    },
  };
}

/**
 * The DEM region under an output tile (bilinear heights: one pixel of margin, one more for the nearest
 * fallback at its edges). Never empty: a tile beyond the DEM still gets a pixel of it, so the kernel
 * can tell "no height here" (nodata) from "no DEM given" (constant height).
 */
function demFootprint(dem: Grid, output: Grid): Footprint {
  const m = reprojectMapping(output, dem);
  if ("error" in m) return WHOLE(dem);
  const region = mappedRegion(asPixelMapping(m.map), 2, dem.width, dem.height);
  return { kind: "mapped", region: (tile) => region(tile) ?? { x: 0, y: 0, width: 1, height: 1 } };
}

export const ortho: OpDefinition<OrthoParams> = defineOp<OrthoParams>({
  name: "ortho",
  params: orthoSchema,
  inputs: { kind: "named", required: ["image"], optional: ["dem"] },
  outputGrid: (p, inputs) => outputGrid(p, inputs, true),
  footprint: (p, input, inputGrid, output) => {
    if (input === "dem") return demFootprint(inputGrid, output);
    const fp = inputGrid.rpc
      ? rpcFootprint(p, inputGrid.rpc, inputGrid, output)
      : resampledFootprint(output, inputGrid, p.resampling);
    return withScaledMargin(fp, p.resampling, inputGrid, output);
  },
  kernel: orthoKernel,
});

export const reproject: OpDefinition<ReprojectParams> = defineOp<ReprojectParams>({
  name: "reproject",
  params: reprojectSchema,
  inputs: { kind: "named", required: ["image"], optional: [] },
  outputGrid: (p, inputs) => outputGrid(p, inputs, false),
  footprint: (p, _input, inputGrid, output) =>
    withScaledMargin(resampledFootprint(output, inputGrid, p.resampling), p.resampling, inputGrid, output),
  kernel: reprojectKernel,
});
