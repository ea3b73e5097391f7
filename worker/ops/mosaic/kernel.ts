/**
 * The pixels of a mosaic tile. Every input that reaches the tile is resampled (the warp module's sampler,
 * GDAL's warp-kernel conventions) at the centres of the tile's pixels, band by band; where its sample is
 * valid (inside it, not nodata, not NaN) it takes part:
 * - first: the first input, in the step's input order, with a valid sample (gdalwarp with the inputs
 *   reversed: there the last one written wins);
 * - last: the last such input (gdalwarp with the inputs in order);
 * - max: the largest valid sample; mean: the mean of the valid samples (of the unrounded resampled values).
 * The result is rounded half up and saturated for integer types; a pixel no input covers gets the output
 * nodata (0 without one). Bands are independent: a band's nodata does not mask another band.
 * An input in the output's CRS is sampled through both geotransforms (exact, affine); an input in another
 * CRS through reproject's mapping (proj4) approximated within `maxError` of its pixels, as gdalwarp does.
 * Below ~0.95 output pixels per input pixel (at the tile's centre), bilinear and cubic are stretched to
 * antialias, per input, as reproject and gdalwarp do (warp/downsample.ts); the footprint grows to match.
 */
import { typedArrayFor, type Window } from "../../io/raster.ts";
import { nodataSample } from "../bandmath/nodata.ts";
import type { Kernel } from "../kernel.ts";
import type { MosaicParams } from "../mosaic.ts";
import { sameCrs, type Grid } from "../grid.ts";
import { approxPositions, type Positions } from "../warp/approx.ts";
import { reprojectMapping } from "../warp/mappings.ts";
import { resampleAt } from "../warp/downsample.ts";
import { warpScale } from "../warp/kernels.ts";
import { storer } from "../warp/resample.ts";
import { centrePositions } from "./positions.ts";

export const mosaicKernel: Kernel<MosaicParams> = (p, inputs, output) => {
  const { window, grid } = output;
  const n = window.width * window.height;
  const acc = Array.from({ length: grid.bands }, () => new Float64Array(n).fill(NaN));
  const counts = p.method === "mean" ? Array.from({ length: grid.bands }, () => new Uint8Array(n)) : [];
  const samples = Array.from({ length: grid.bands }, () => new Float64Array(n));
  const positions: Positions = { xs: new Float64Array(n), ys: new Float64Array(n) };
  for (const [name, input] of inputs) {
    inputPositions(p, grid, name, input.grid, window, positions);
    const nodata = nodataSample(input.block.dataType, input.grid.nodata);
    const src = {
      block: input.block,
      x: input.window.x,
      y: input.window.y,
      nodata: nodata !== null && Number.isNaN(nodata) ? null : nodata,
    };
    const scale = warpScale(p.resampling, input.grid, grid, window);
    const target = { bands: samples, dataType: "float64" as const, nodata: NaN };
    resampleAt(p.resampling, scale, src, positions.xs, positions.ys, target);
    for (let b = 0; b < grid.bands; b++) {
      const a = acc[b]!;
      const s = samples[b]!;
      switch (p.method) {
        case "first":
          for (let i = 0; i < n; i++) if (a[i] !== a[i]) a[i] = s[i]!;
          break;
        case "last":
          for (let i = 0; i < n; i++) if (s[i] === s[i]) a[i] = s[i]!;
          break;
        case "max":
          for (let i = 0; i < n; i++) if (s[i]! > a[i]! || a[i] !== a[i]) a[i] = s[i]!;
          break;
        case "mean": {
          const c = counts[b]!;
          for (let i = 0; i < n; i++) {
            const v = s[i]!;
            if (v !== v) continue;
            a[i] = c[i] === 0 ? v : a[i]! + v;
            c[i]!++;
          }
        }
      }
    }
  }
  const fill = nodataSample(grid.dataType, grid.nodata) ?? 0;
  const store = storer(grid.dataType);
  const allocate = output.allocate ?? typedArrayFor;
  const bands = acc.map((a, b) => {
    const out = allocate(grid.dataType, n);
    const c = counts[b];
    for (let i = 0; i < n; i++) store(out, i, c ? a[i]! / c[i]! : a[i]!, fill);
    return out;
  });
  return { width: window.width, height: window.height, dataType: grid.dataType, bands };
};

/** Where the centres of the window's pixels lie in an input, into `into` (filled in place). */
function inputPositions(
  p: MosaicParams,
  grid: Grid,
  name: string,
  input: Grid,
  window: Window,
  into: Positions,
): void {
  if (sameCrs(grid.crs, input.crs)) {
    centrePositions(grid, input, window, into.xs, into.ys);
    return;
  }
  const m = reprojectMapping(grid, input);
  if ("error" in m) throw new Error(`mosaic: inputs.${name}: ${m.error}`);
  approxPositions(m.map, window, p.maxError, into);
}
