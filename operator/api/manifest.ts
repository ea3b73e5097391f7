/** From the lazy graph to the ImageChain spec the user would have written: sources, steps, outputs, settings. */
import type { z } from "zod";
import type { Issue } from "../spec/issues.ts";
import type { imageChainSpec } from "../spec/schema.ts";
import { assignNames } from "./names.ts";
import { reachable, type ChainNode, type OutputNode, type SourceNode, type StepNode } from "./node.ts";

/** A spec as written (defaults not filled in): what a manifest holds. */
export type SpecInput = z.input<typeof imageChainSpec>;
/** Everything of a spec but its graph: tiling, storage, execution, ttlSecondsAfterFinished, suspend. */
export type ChainSettings = Omit<SpecInput, "sources" | "steps" | "outputs">;
export type WriteOptions = Omit<SpecInput["outputs"][number], "step" | "uri">;

export interface ImageChainManifest {
  readonly apiVersion: "imagechain.io/v1alpha1";
  readonly kind: "ImageChain";
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly spec: SpecInput;
}

export interface BuiltSpec {
  readonly spec: SpecInput;
  /** The step at each `spec.steps[i]`: issue paths name steps, as indices differ between partial specs. */
  readonly stepNames: readonly string[];
  readonly outputUris: readonly string[];
  /** The source node behind each source name (for the band counts declared on it). */
  readonly sources: ReadonlyMap<string, SourceNode>;
  /** The node behind each step name. */
  readonly steps: ReadonlyMap<string, StepNode>;
  /** What a manifest cannot even express: two different sources given the same name. */
  readonly issues: readonly Issue[];
}

export function buildSpec(
  roots: readonly ChainNode[],
  outputs: readonly OutputNode[],
  settings: ChainSettings,
): BuiltSpec {
  const nodes = reachable([...roots, ...outputs.map((o) => o.node)]);
  const canonical = sameSources(nodes);
  const names = assignNames(nodes.filter((n) => canonical.get(n) === n));
  const nameOf = (n: ChainNode) => names.get(canonical.get(n)!)!;
  const issues: Issue[] = [];
  const sources = new Map<string, SourceNode>();
  const steps: SpecInput["steps"] = [];
  const stepNodes = new Map<string, StepNode>();
  for (const n of names.keys()) {
    const name = nameOf(n);
    if (n.kind === "step") {
      stepNodes.set(name, n);
      const inputs = Object.fromEntries(Object.entries(n.inputs).map(([alias, i]) => [alias, nameOf(i)]));
      const params = n.params === undefined ? {} : { params: n.params };
      steps.push({ name, op: n.op, inputs, ...params } as SpecInput["steps"][number]);
    } else if (sources.has(name)) {
      issues.push({
        code: "duplicate-name",
        path: `spec.sources.${name}`,
        message: `'${name}' names two sources: ${sources.get(name)!.uri} and ${n.uri}`,
      });
    } else {
      sources.set(name, n);
    }
  }
  const spec: SpecInput = {
    sources: Object.fromEntries([...sources].map(([name, s]) => [name, { uri: s.uri }])),
    steps,
    outputs: outputs.map((o) => ({ step: nameOf(o.node), uri: o.uri, ...o.options })),
    ...settings,
  };
  return {
    spec,
    stepNames: steps.map((s) => s.name),
    outputUris: outputs.map((o) => o.uri),
    sources,
    steps: stepNodes,
    issues,
  };
}

/** Reading one URI twice, unnamed (or under the same name), is one source. */
function sameSources(nodes: readonly ChainNode[]): Map<ChainNode, ChainNode> {
  const first = new Map<string, ChainNode>();
  const canonical = new Map<ChainNode, ChainNode>();
  for (const n of nodes) {
    if (n.kind === "step") {
      canonical.set(n, n);
      continue;
    }
    const key = `${n.name ?? ""} ${n.uri}`;
    if (!first.has(key)) first.set(key, n);
    canonical.set(n, first.get(key)!);
  }
  return canonical;
}
