import type { Block } from "../../io/raster.ts";
import type { ConvolveParams } from "../convolve.ts";
import { nodataSample } from "../bandmath/nodata.ts";
import type { Kernel, KernelInput } from "../kernel.ts";
import { fillPlane, padMap } from "./border.ts";
import { applyNodata, maskNodata } from "./nodata.ts";
import { tapPass } from "./passes.ts";
import { storeSamples } from "./samples.ts";
import { PLANE_GRADIENT_Y, PLANE_INPUT, PLANE_VALUES, workPlane } from "./scratch.ts";
import { separable, tileTaps, type Planes, type TileTaps } from "./taps.ts";
import { kernelWeights } from "./weights.ts";

/** The kernel over the whole tile as if every pixel were valid. */
function evaluate(t: TileTaps, p: Planes, dst: Float64Array): void {
  if (t.kind === "separable") return separable(t, p, p.input, dst);
  if (t.kind === "direct") return tapPass(p.input, p.pw, p.width, p.height, t.taps, dst);
  const gy = workPlane(PLANE_GRADIENT_Y, p.width * p.height);
  separable(t.x, p, p.input, dst);
  separable(t.y, p, p.input, gy);
  for (let i = 0; i < dst.length; i++) dst[i] = Math.sqrt(dst[i]! * dst[i]! + gy[i]! * gy[i]!);
}

function onlyInput(inputs: ReadonlyMap<string, KernelInput>): KernelInput {
  if (inputs.size !== 1) throw new RangeError(`convolve takes one input, got ${inputs.size}`);
  return inputs.values().next().value!;
}

/**
 * convolve's pixels: each band of the one input, bordered by the border rule from the image's own
 * edges (the block is the tile grown by the radius, clipped to the image), correlated with the kernel
 * in float64, then stored as the output type (see `storeSamples`). Separable kernels run as a
 * horizontal then a vertical pass through a float64 intermediate; others tap by tap.
 *
 * Nodata (the input grid's; the output's is the output grid's): an output pixel whose centre is nodata
 * is nodata; otherwise nodata neighbours are left out and the remaining weights rescaled to the
 * kernel's sum, or, for zero-sum kernels (sobel, laplacian, derivative matrices), replaced by the
 * centre value (see `applyNodata`); a constant border equal to nodata reads as nodata. Whether a
 * tile holds nodata changes the work, never a pixel.
 */
export const convolveKernel: Kernel<ConvolveParams> = (params, inputs, output): Block => {
  const input = onlyInput(inputs);
  const w = kernelWeights(params.kernel);
  const rx = w.kind === "direct" ? w.rx : w.radius;
  const ry = w.kind === "direct" ? w.ry : w.radius;
  const { width, height } = output.window;
  const { block, grid } = input;
  const map = padMap(output.window, rx, ry, input.window, grid.width, grid.height, params.border);
  const pw = width + 2 * rx;
  const ph = height + 2 * ry;
  const taps = tileTaps(w, width, pw);
  const nodata = nodataSample(grid.dataType, grid.nodata);
  const bands = block.bands.map((src) => {
    const plane = workPlane(PLANE_INPUT, pw * ph);
    fillPlane(plane, src, block.width, map);
    const mask = nodata === null ? null : maskNodata(plane, nodata);
    const flags = mask === null ? null : new Uint8Array(width * height);
    const values = workPlane(PLANE_VALUES, width * height);
    const planes = { width, height, pw, ph, rx, ry, input: plane, mask, flags };
    evaluate(taps, planes, values);
    if (mask !== null) applyNodata(taps, planes, values);
    return storeSamples(values, flags, output.grid.dataType, output.grid.nodata, output.allocate);
  });
  return { width, height, dataType: output.grid.dataType, bands };
};
