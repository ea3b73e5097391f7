import { manifestParts } from "../spec/manifest.ts";
import { validateSpec, topologicalSteps } from "../spec/validate.ts";
import { FlowError } from "./check.ts";
import { Flow } from "./flow.ts";
import type { SpecInput } from "./manifest.ts";
import { sourceNode, stepNode, type ChainNode } from "./node.ts";

/**
 * The flow of an ImageChain resource (or of a bare spec), every source and step named as in it, params as
 * written: `fromManifest(m).toManifest()` gives `m` back (steps in dependency order) and plans identically.
 */
export function fromManifest(doc: unknown): Flow {
  const parts = manifestParts(doc);
  const raw = parts.spec as SpecInput;
  const checked = validateSpec(raw);
  if (!checked.ok) throw new FlowError(checked.issues);
  const nodes = new Map<string, ChainNode>();
  for (const [name, source] of Object.entries(raw.sources))
    nodes.set(name, sourceNode(source.uri, name, undefined));
  const written = new Map(raw.steps.map((s) => [s.name, s]));
  for (const { name, op } of topologicalSteps(checked.value)) {
    const step = written.get(name)!;
    const inputs = Object.fromEntries(
      Object.entries(step.inputs).map(([alias, ref]) => [alias, nodes.get(ref)!]),
    );
    nodes.set(name, stepNode(op, inputs, step.params, name));
  }
  const outputs = raw.outputs.map(({ step, uri, ...options }) => ({ node: nodes.get(step)!, uri, options }));
  const { sources: _s, steps: _t, outputs: _o, ...settings } = raw;
  const meta = parts.metadata ?? {};
  return new Flow(outputs).with({ ...settings, name: meta.name, namespace: meta.namespace });
}
