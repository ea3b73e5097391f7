import { typedArrayFor, type Block, type Window } from "../../io/raster.ts";
import type { Grid } from "../grid.ts";
import type { KernelInput, KernelOutput } from "../kernel.ts";
import type { ExactMapping, Positions } from "./approx.ts";
import { constantHeight, demHeight } from "./dem.ts";
import { heightBlendedPositions } from "./height-blend.ts";
import { orthoMapping, reprojectMapping } from "./mappings.ts";
import type { Resampling, SampleTarget } from "./resample.ts";
import { resampleAt, tileScale, type Scale } from "./downsample.ts";
import { warpTile } from "./warp-tile.ts";

export interface WarpParams {
  readonly resampling: Resampling;
  readonly maxError: number;
  /** Ortho only: the ground height (metres above the ellipsoid) without a DEM, added to the DEM's with one. */
  readonly height?: number | undefined;
}

/** Position arrays reused across tiles: kernels run one at a time per process. */
const pool: Positions[] = [];

function scratch(n: number): (i: number) => Positions {
  return (i) => {
    if (!pool[i] || pool[i].xs.length < n) pool[i] = { xs: new Float64Array(n), ys: new Float64Array(n) };
    return pool[i];
  };
}

/**
 * ortho: through the image's RPC model over the DEM (or a constant height) when it has one, else its
 * geotransform reprojected like `reproject`.
 */
export function orthoKernel(
  p: WarpParams,
  inputs: ReadonlyMap<string, KernelInput>,
  output: KernelOutput,
): Block {
  const image = inputs.get("image");
  const rpc = image?.grid.rpc;
  if (!image || !rpc) return reprojectKernel(p, inputs, output);
  const { grid, window } = output;
  const dem = inputs.get("dem");
  const buffers = scratch(window.width * window.height);
  if (!dem) {
    const m = orthoMapping(rpc, grid, constantHeight(p.height ?? 0));
    return sample(p, image, output, "error" in m ? m.error : m.map);
  }
  const offset = p.height ?? 0;
  const blended = heightBlendedPositions(rpc, dem, offset, grid, window, p.maxError, buffers);
  if (blended) return sample(p, image, output, blended);
  const h = demHeight(dem.block, dem.window.x, dem.window.y, dem.grid);
  if ("error" in h) throw new Error(`ortho: inputs.dem: ${h.error}`);
  const m = orthoMapping(rpc, grid, (lon, lat) => h(lon, lat) + offset);
  return sample(p, image, output, "error" in m ? m.error : m.map);
}

export function reprojectKernel(
  p: WarpParams,
  inputs: ReadonlyMap<string, KernelInput>,
  output: KernelOutput,
): Block {
  const image = inputs.get("image");
  if (!image) return sample(p, undefined, output, null);
  const m = reprojectMapping(output.grid, image.grid);
  return sample(p, image, output, "error" in m ? m.error : m.map);
}

/**
 * The mapping whose local scale decides the kernel's stretch (see tileScale): the RPC model at its mean
 * height, or the georeferences. The footprints use the same, so both agree on the kernel's reach.
 */
export function scaleMapping(input: Grid, output: Grid): ExactMapping | null {
  const m = input.rpc
    ? orthoMapping(input.rpc, output, constantHeight(input.rpc.heightOff))
    : reprojectMapping(output, input);
  return "error" in m ? null : m.map;
}

/** The downsampling scale of an output tile, or null for the plain kernels. */
export function warpScale(method: Resampling, input: Grid, output: Grid, tile: Window): Scale | null {
  const map = method === "nearest" ? null : scaleMapping(input, output);
  return map && tileScale(map, tile.x + tile.width / 2, tile.y + tile.height / 2);
}

/**
 * The output tile: `image` sampled at `positions` (or at an exact mapping's, approximated within
 * maxError); nodata throughout without an image. A string is a mapping that could not be built.
 */
function sample(
  p: WarpParams,
  image: KernelInput | undefined,
  output: KernelOutput,
  positions: Positions | ExactMapping | string | null,
): Block {
  const { grid, window } = output;
  const n = window.width * window.height;
  const allocate = output.allocate ?? typedArrayFor;
  const bands = Array.from({ length: grid.bands }, () => allocate(grid.dataType, n));
  const target: SampleTarget = { bands, dataType: grid.dataType, nodata: grid.nodata ?? 0 };
  const result: Block = { width: window.width, height: window.height, dataType: grid.dataType, bands };
  if (typeof positions === "string") throw new Error(`inputs.image: ${positions}`);
  if (!image || positions === null) {
    for (const band of bands) band.fill(target.nodata);
    return result;
  }
  const src = { block: image.block, x: image.window.x, y: image.window.y, nodata: image.grid.nodata };
  const scale = warpScale(p.resampling, image.grid, grid, window);
  if (typeof positions === "function") {
    warpTile(p.resampling, src, positions, window, p.maxError, target, scratch(n)(0), scale);
  } else {
    resampleAt(p.resampling, scale, src, positions.xs, positions.ys, target, 0, n);
  }
  return result;
}
