import { typedArrayFor, type Block } from "../../io/raster.ts";
import type { KernelInput, KernelOutput } from "../kernel.ts";
import type { Positions } from "./approx.ts";
import { constantHeight, demHeight, type HeightAt } from "./dem.ts";
import { orthoMapping, reprojectMapping, type MappingResult } from "./mappings.ts";
import type { Resampling } from "./resample.ts";
import { warpTile } from "./warp-tile.ts";

export interface WarpParams {
  readonly resampling: Resampling;
  readonly maxError: number;
  /** Ortho only: the ground height (metres above the ellipsoid) where no DEM is given. */
  readonly height?: number | undefined;
}

/** Source positions of the current tile; kernels run one at a time per process, so one pair is reused. */
let positions: Positions | undefined;

function scratch(n: number): Positions {
  if (!positions || positions.xs.length < n) positions = { xs: new Float64Array(n), ys: new Float64Array(n) };
  return positions;
}

/**
 * ortho: the image's RPC model over the DEM (or a constant height) when it has one, else its
 * geotransform reprojected like `reproject`.
 */
export function orthoKernel(
  p: WarpParams,
  inputs: ReadonlyMap<string, KernelInput>,
  output: KernelOutput,
): Block {
  const image = inputs.get("image");
  const rpc = image?.grid.rpc;
  if (!image || !rpc) return warp(p, image, output, (grid) => reprojectMapping(grid, image!.grid));
  const dem = inputs.get("dem");
  let heights: HeightAt = constantHeight(p.height ?? 0);
  if (dem) {
    const h = demHeight(dem.block, dem.window.x, dem.window.y, dem.grid);
    if ("error" in h) throw new Error(`ortho: inputs.dem: ${h.error}`);
    heights = h;
  }
  return warp(p, image, output, (grid) => orthoMapping(rpc, grid, heights));
}

export function reprojectKernel(
  p: WarpParams,
  inputs: ReadonlyMap<string, KernelInput>,
  output: KernelOutput,
): Block {
  const image = inputs.get("image");
  return warp(p, image, output, (grid) => reprojectMapping(grid, image!.grid));
}

function warp(
  p: WarpParams,
  image: KernelInput | undefined,
  output: KernelOutput,
  mapping: (grid: KernelOutput["grid"]) => MappingResult,
): Block {
  const { grid, window } = output;
  const n = window.width * window.height;
  const allocate = output.allocate ?? typedArrayFor;
  const bands = Array.from({ length: grid.bands }, () => allocate(grid.dataType, n));
  const target = { bands, dataType: grid.dataType, nodata: grid.nodata ?? 0 };
  const result: Block = { width: window.width, height: window.height, dataType: grid.dataType, bands };
  if (!image) {
    warpTile(p.resampling, null, () => undefined, window, p.maxError, target);
    return result;
  }
  const m = mapping(grid);
  if ("error" in m) throw new Error(`inputs.image: ${m.error}`);
  const src = { block: image.block, x: image.window.x, y: image.window.y, nodata: image.grid.nodata };
  warpTile(p.resampling, src, m.map, window, p.maxError, target, scratch(n));
  return result;
}
