/** Each op's params as a user writes them: the input side of the op's own zod schema (defaulted fields optional). */
import type { z } from "zod";
import type { bandmathParams } from "../../worker/ops/bandmath/params.ts";
import type { convolveParams } from "../../worker/ops/convolve.ts";
import type { mosaicParams } from "../../worker/ops/mosaic.ts";
import type { orthoParams, reprojectParams } from "../../worker/ops/ortho.ts";
import type { pansharpenParams } from "../../worker/ops/pansharpen.ts";
import type { OpName } from "../../worker/ops/registry.ts";
import type { stretchParams } from "../../worker/ops/stretch.ts";

export type BandmathParams = z.input<typeof bandmathParams>;
export type ConvolveParams = z.input<typeof convolveParams>;
export type OrthoParams = z.input<typeof orthoParams>;
export type ReprojectParams = z.input<typeof reprojectParams>;
export type PansharpenParams = z.input<typeof pansharpenParams>;
export type StretchParams = z.input<typeof stretchParams>;
export type MosaicParams = z.input<typeof mosaicParams>;

/** One entry per op of the registry: a new op without API params is a type error here. */
export type ParamsOf = EveryOp<{
  bandmath: BandmathParams;
  convolve: ConvolveParams;
  ortho: OrthoParams;
  reproject: ReprojectParams;
  pansharpen: PansharpenParams;
  stretch: StretchParams;
  mosaic: MosaicParams;
}>;

type EveryOp<T extends Record<OpName, unknown>> = T;
