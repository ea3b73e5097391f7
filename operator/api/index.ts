/**
 * The TypeScript API (package export `imagechain`): chains composed lazily in code, turned into the same
 * ImageChain manifest, plan and local run as the YAML.
 *
 *   const chain = read("s3://l1c/scene.tif", { name: "scene" })
 *     .bandmath({ expression: "(im.b4 - im.b3) / (im.b4 + im.b3)" }, { name: "ndvi" })
 *     .convolve({ kernel: { gaussian: { sigma: 1.5 } } })
 *     .write("s3://results/ndvi.tif");
 *   chain.toYAML({ name: "s2-ndvi" }); await chain.plan(); await chain.run({ workers: 4 });
 */
export { FlowError } from "./check.ts";
export { flow, Flow, type ManifestOptions, type PlanOptions, type RunOptions } from "./flow.ts";
export { fromManifest } from "./from-manifest.ts";
export { SubmitError, type SubmitEvent, type SubmitOptions, type SubmitSummary } from "./submit.ts";
export {
  bandmath,
  Image,
  mosaic,
  read,
  type Inputs,
  type ReadOptions,
  type SingleInputOptions,
  type StepOptions,
} from "./image.ts";
export type { ChainSettings, ImageChainManifest, SpecInput, WriteOptions } from "./manifest.ts";
export type * from "./params.ts";
export type { RunEvent, RunSummary } from "../local/executor.ts";
export type { Plan } from "../plan/plan.ts";
export type { SourceGrids } from "../plan/grids.ts";
export type { Grid } from "../../worker/ops/grid.ts";
export type { Issue } from "../spec/issues.ts";
