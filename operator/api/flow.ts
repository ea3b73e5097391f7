/** A chain's outputs and settings, and the terminal calls: manifest, plan, explain, run. */
import { availableParallelism, tmpdir } from "node:os";
import { resolve } from "node:path";
import { stringify } from "yaml";
import { openSources, s3OptionsOf } from "../../worker/run/sources.ts";
import { runChain, type RunEvent, type RunSummary } from "../local/executor.ts";
import { toDot } from "../plan/dot.ts";
import type { SourceGrids } from "../plan/grids.ts";
import { plan, type Plan } from "../plan/plan.ts";
import type { Issue } from "../spec/issues.ts";
import type { ImageChainSpec } from "../spec/schema.ts";
import { checkChain, FlowError, located } from "./check.ts";
import { describePlan } from "./explain.ts";
import { Image } from "./image.ts";
import { buildSpec, type BuiltSpec, type ChainSettings, type ImageChainManifest } from "./manifest.ts";
import type { OutputNode } from "./node.ts";
import { submitManifest, type SubmitOptions, type SubmitSummary } from "./submit.ts";

export interface ManifestOptions extends ChainSettings {
  /** metadata.name; default the name of the manifest the flow came from, else `imagechain` (as the CLI). */
  readonly name?: string;
  readonly namespace?: string;
}

export interface PlanOptions {
  /** Headers by source name, for planning without reading them (like `imagechain plan --source`). */
  readonly sources?: SourceGrids;
  /** Lanes to cut; default `execution.parallelism`. */
  readonly lanes?: number;
}

export interface RunOptions {
  /** Worker processes (and lanes); default the number of cores. */
  readonly workers?: number;
  /** Where the run's scratch directory is made; default the system's temporary directory. */
  readonly workdir?: string;
  readonly keepScratch?: boolean;
  readonly onEvent?: (e: RunEvent) => void;
}

interface Metadata {
  readonly name?: string;
  readonly namespace?: string;
}

export class Flow {
  readonly outputs: readonly OutputNode[];
  readonly settings: ChainSettings;
  readonly metadata: Metadata;

  constructor(outputs: readonly OutputNode[], settings: ChainSettings = {}, metadata: Metadata = {}) {
    this.outputs = Object.freeze([...outputs]);
    this.settings = Object.freeze({ ...settings });
    this.metadata = Object.freeze({ ...metadata });
    Object.freeze(this);
  }

  /** A new flow with these settings and metadata over the current ones (each top-level key replaced whole). */
  with(options: ManifestOptions): Flow {
    const { name, namespace, ...settings } = options;
    const metadata = {
      ...this.metadata,
      ...(name === undefined ? {} : { name }),
      ...(namespace === undefined ? {} : { namespace }),
    };
    return new Flow(this.outputs, { ...this.settings, ...settings }, metadata);
  }

  /** The ImageChain resource, with params as written (the operator's schema fills in the defaults). */
  toManifest(options: ManifestOptions = {}): ImageChainManifest {
    const f = this.with(options);
    const { built } = checkChain(f.outputs, f.settings);
    const { name = "imagechain", namespace } = f.metadata;
    return {
      apiVersion: "imagechain.io/v1alpha1",
      kind: "ImageChain",
      metadata: namespace === undefined ? { name } : { name, namespace },
      spec: built.spec,
    };
  }

  /** The image a step of this flow makes, by its name in the manifest: to grow a flow from `fromManifest`. */
  image(step: string): Image {
    const node = buildSpec([], this.outputs, {}).steps.get(step);
    if (!node)
      throw new FlowError([
        { code: "unknown-step", path: `steps.${step}`, message: `no step is named '${step}'` },
      ]);
    return new Image(node);
  }

  toYAML(options: ManifestOptions = {}): string {
    return stringify(this.toManifest(options));
  }

  /** The planner's result; source headers are read (only) for the sources not given in `options.sources`. */
  async plan(options: PlanOptions = {}): Promise<Plan> {
    const { built, spec } = checkChain(this.outputs, this.settings);
    const grids = await sourceGrids(spec, built, options.sources ?? {});
    const planned = plan(spec, grids, options.lanes === undefined ? {} : { lanes: options.lanes });
    if (!planned.ok) throw new FlowError(located(planned.issues, built));
    return planned.value;
  }

  /** The stage graph as text (or Graphviz with `format: "dot"`). */
  async explain(options: PlanOptions & { readonly format?: "text" | "dot" } = {}): Promise<string> {
    const p = await this.plan(options);
    return options.format === "dot" ? toDot(p, this.metadata.name) : describePlan(p);
  }

  /** Run the chain with the local engine (what `imagechain run` does); resolves with the outputs written. */
  async run(options: RunOptions = {}): Promise<RunSummary> {
    const { built, spec } = checkChain(this.outputs, this.settings);
    if ([...built.sources.values()].some((s) => s.bands !== undefined)) await sourceGrids(spec, built, {});
    return runChain(spec, {
      workers: options.workers ?? availableParallelism(),
      workdir: resolve(options.workdir ?? tmpdir()),
      keepScratch: options.keepScratch,
      onEvent: options.onEvent,
    });
  }

  /**
   * Create the chain on a cluster (the operator runs it) and resolve when it has Succeeded; a Failed
   * chain rejects with a SubmitError carrying the Failed condition's message.
   */
  submit(options: SubmitOptions = {}): Promise<SubmitSummary> {
    const { name, namespace } = options;
    return submitManifest(this.toManifest({ name, namespace }), options);
  }
}

/** One chain from several: their outputs in order, their settings merged (later ones win). */
export function flow(...parts: Flow[]): Flow {
  return new Flow(
    parts.flatMap((p) => p.outputs),
    Object.assign({}, ...parts.map((p) => p.settings)) as ChainSettings,
    Object.assign({}, ...parts.map((p) => p.metadata)) as Metadata,
  );
}

/** The headers of the sources not given, and a check that declared band counts match them. */
async function sourceGrids(spec: ImageChainSpec, built: BuiltSpec, given: SourceGrids): Promise<SourceGrids> {
  const unknown = Object.keys(given).filter((n) => !(n in spec.sources));
  if (unknown.length) {
    throw new FlowError(
      unknown.map((n) => ({
        code: "unknown-source",
        path: `sources.${n}`,
        message: `the chain has no source '${n}'`,
      })),
    );
  }
  const missing = Object.keys(spec.sources).filter((n) => !(n in given));
  let grids = given;
  if (missing.length) {
    const only = Object.fromEntries(missing.map((n) => [n, spec.sources[n]!]));
    const opened = await openSources({ ...spec, sources: only }, s3OptionsOf(spec));
    await opened.close();
    grids = { ...opened.grids, ...given };
  }
  const issues: Issue[] = [];
  for (const [name, s] of built.sources) {
    const bands = grids[name]?.bands;
    if (s.bands !== undefined && bands !== undefined && bands !== s.bands) {
      issues.push({
        code: "source-bands",
        path: `sources.${name}`,
        message: `read(${s.uri}) declared ${s.bands} band(s), its header has ${bands}`,
      });
    }
  }
  if (issues.length) throw new FlowError(issues);
  return grids;
}
