import type { Window } from "../io/raster.ts";
import { clipWindow } from "./grid.ts";

/**
 * What one output tile needs from one input, in the input's pixels. The planner turns this into the
 * input tiles a task depends on; the worker reads exactly this region.
 * - pointwise: the same window (same lattice); fusable.
 * - halo: the window grown by `radius` pixels on every side (clipped to the input).
 * - mapped: an arbitrary region, e.g. where the tile's edges land in another geometry.
 * - reduction: every tile of the input, through per-tile partials reduced to one value set.
 */
export type Footprint =
  | { readonly kind: "pointwise" }
  | { readonly kind: "halo"; readonly radius: number }
  | { readonly kind: "mapped"; readonly region: (tile: Window) => Window | null }
  | { readonly kind: "reduction" };

/** Maps an output pixel position (x, y, pixel-corner coordinates) to an input pixel position. */
export type PixelMapping = (x: number, y: number) => readonly [number, number];

/** Points sampled along each edge of a tile: enough for the smooth mappings of map projections. */
const EDGE_SAMPLES = 8;

/**
 * The input region an output tile maps to: the bounding box of its edges (and centre) mapped through
 * `map`, grown by `margin` pixels for the resampling kernel, in whole pixels, clipped to the input.
 */
export function mappedRegion(
  map: PixelMapping,
  margin: number,
  inputWidth: number,
  inputHeight: number,
): (tile: Window) => Window | null {
  return mappedRegionOf([map], margin, inputWidth, inputHeight);
}

/**
 * The same for several mappings of one tile (e.g. a sensor model at its lowest and highest ground
 * heights): one bounding box over all of them before clipping, so that positions lying between the
 * mappings are covered even where some of them fall outside the input.
 */
export function mappedRegionOf(
  maps: readonly PixelMapping[],
  margin: number,
  inputWidth: number,
  inputHeight: number,
): (tile: Window) => Window | null {
  return (tile) => {
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    const visit = (x: number, y: number): void => {
      for (const map of maps) {
        const [u, v] = map(x, y);
        if (!Number.isFinite(u) || !Number.isFinite(v)) continue;
        minX = Math.min(minX, u);
        minY = Math.min(minY, v);
        maxX = Math.max(maxX, u);
        maxY = Math.max(maxY, v);
      }
    };
    for (let i = 0; i <= EDGE_SAMPLES; i++) {
      const fx = tile.x + (tile.width * i) / EDGE_SAMPLES;
      const fy = tile.y + (tile.height * i) / EDGE_SAMPLES;
      visit(fx, tile.y);
      visit(fx, tile.y + tile.height);
      visit(tile.x, fy);
      visit(tile.x + tile.width, fy);
    }
    visit(tile.x + tile.width / 2, tile.y + tile.height / 2);
    if (minX > maxX) return null;
    const x0 = Math.floor(minX) - margin;
    const y0 = Math.floor(minY) - margin;
    const x1 = Math.ceil(maxX) + margin;
    const y1 = Math.ceil(maxY) + margin;
    return clipWindow({ x: x0, y: y0, width: x1 - x0, height: y1 - y0 }, inputWidth, inputHeight);
  };
}

/** The region an output tile needs from one input, for every footprint that is not a reduction. */
export function footprintRegion(
  fp: Footprint,
  tile: Window,
  inputWidth: number,
  inputHeight: number,
): Window | null {
  switch (fp.kind) {
    case "pointwise":
      return clipWindow(tile, inputWidth, inputHeight);
    case "halo":
      return clipWindow(
        {
          x: tile.x - fp.radius,
          y: tile.y - fp.radius,
          width: tile.width + 2 * fp.radius,
          height: tile.height + 2 * fp.radius,
        },
        inputWidth,
        inputHeight,
      );
    case "mapped":
      return fp.region(tile);
    case "reduction":
      return { x: 0, y: 0, width: inputWidth, height: inputHeight };
  }
}
