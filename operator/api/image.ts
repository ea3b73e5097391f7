/** Lazy images: `read(uri)` and one method per op, each returning a new immutable image; nothing runs. */
import type { OpName } from "../../worker/ops/registry.ts";
import { checkGrowth, FlowError } from "./check.ts";
import { Flow } from "./flow.ts";
import type { WriteOptions } from "./manifest.ts";
import { sourceNode, stepNode, type ChainNode } from "./node.ts";
import type {
  BandmathParams,
  ConvolveParams,
  MosaicParams,
  OrthoParams,
  PansharpenParams,
  ParamsOf,
  ReprojectParams,
  StretchParams,
} from "./params.ts";

export interface StepOptions {
  /** The step's name in the manifest; by default the op's name (`bandmath`, then `bandmath-2`, …). */
  readonly name?: string;
}

export interface SingleInputOptions extends StepOptions {
  /** The input's alias, as band-math expressions refer to it (`im.b4`); default `im`. */
  readonly as?: string;
}

export interface ReadOptions {
  /** The source's name in the manifest; by default from its file name (`…/B04.tif` → `b04`). */
  readonly name?: string;
  /** The band count, if known: band references (`im.b5`) are then checked at the call, the header at planning. */
  readonly bands?: number;
}

/** Several inputs: an array (aliases `im1`, `im2`, … as in band math) or named ones. */
export type Inputs = readonly Image[] | Readonly<Record<string, Image>>;

export class Image {
  readonly node: ChainNode;

  constructor(node: ChainNode) {
    this.node = node;
    Object.freeze(this);
  }

  bandmath(params: BandmathParams, options: SingleInputOptions = {}): Image {
    return step("bandmath", { [options.as ?? "im"]: this }, params, options);
  }

  convolve(params: ConvolveParams, options: SingleInputOptions = {}): Image {
    return step("convolve", { [options.as ?? "im"]: this }, params, options);
  }

  /** Sensor geometry (or a reprojection) onto a map grid, with heights from `dem` when given. */
  ortho(params: OrthoParams, options: StepOptions & { readonly dem?: Image } = {}): Image {
    const inputs: Record<string, Image> = options.dem ? { image: this, dem: options.dem } : { image: this };
    return step("ortho", inputs, params, options);
  }

  reproject(params: ReprojectParams, options: StepOptions = {}): Image {
    return step("reproject", { image: this }, params, options);
  }

  /** This image is the panchromatic band; `ms` the multispectral image resampled onto it. */
  pansharpen(ms: Image, params: PansharpenParams = {}, options: StepOptions = {}): Image {
    return step("pansharpen", { pan: this, ms }, params, options);
  }

  stretch(params: StretchParams = {}, options: SingleInputOptions = {}): Image {
    return step("stretch", { [options.as ?? "im"]: this }, params, options);
  }

  /** A chain with this image as its one output (combine several with `flow(a.write(…), b.write(…))`). */
  write(uri: string, options: WriteOptions = {}): Flow {
    const output = { node: this.node, uri, options: { ...options } };
    checkGrowth(null, [output]);
    return new Flow([output]);
  }
}

export function read(uri: string, options: ReadOptions = {}): Image {
  const { bands } = options;
  if (bands !== undefined && !(Number.isInteger(bands) && bands >= 1)) {
    throw new FlowError([
      { code: "bad-bands", path: "read.bands", message: `a band count is a positive integer, got ${bands}` },
    ]);
  }
  const node = sourceNode(uri, options.name, bands);
  checkGrowth(node, []);
  return new Image(node);
}

/** Band math over several inputs: `bandmath({ red, nir }, { expression: "(nir.b1 - red.b1) / …" })`. */
export function bandmath(inputs: Inputs, params: BandmathParams, options: StepOptions = {}): Image {
  return step("bandmath", aliased(inputs), params, options);
}

export function mosaic(inputs: Inputs, params: MosaicParams = {}, options: StepOptions = {}): Image {
  return step("mosaic", aliased(inputs), params, options);
}

function aliased(inputs: Inputs): Record<string, Image> {
  if (!Array.isArray(inputs)) return inputs as Record<string, Image>;
  return Object.fromEntries(inputs.map((image, i) => [`im${i + 1}`, image]));
}

function step<Op extends OpName>(
  op: Op,
  inputs: Readonly<Record<string, Image>>,
  params: ParamsOf[Op],
  options: StepOptions,
): Image {
  const nodes = Object.fromEntries(Object.entries(inputs).map(([alias, image]) => [alias, image.node]));
  const node = stepNode(op, nodes, params, options.name);
  checkGrowth(node, []);
  return new Image(node);
}
