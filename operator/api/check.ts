/**
 * Validation at the call that introduces a mistake, by the manifest's own validator: each call validates the
 * spec of the graph built so far (everything before it already passed), so the messages are the validator's.
 */
import type { Grid } from "../../worker/ops/grid.ts";
import { deriveGrids } from "../plan/grids.ts";
import { formatIssues, formatPath, type Issue } from "../spec/issues.ts";
import type { ImageChainSpec } from "../spec/schema.ts";
import { validateSpec } from "../spec/validate.ts";
import { buildSpec, type BuiltSpec, type ChainSettings } from "./manifest.ts";
import type { ChainNode, OutputNode } from "./node.ts";

/** A chain the API refuses; `issues` name steps and sources by name (`steps.ndvi.params.expression`). */
export class FlowError extends Error {
  override readonly name = "FlowError";
  readonly issues: readonly Issue[];
  constructor(issues: readonly Issue[]) {
    super(formatIssues(issues));
    this.issues = issues;
  }
}

/** Issue paths of a built spec with steps and outputs named rather than numbered. */
export function located(issues: readonly Issue[], built: BuiltSpec): Issue[] {
  return issues.map((i) => {
    const step = /^spec\.steps\[(\d+)\]/.exec(i.path);
    if (step) return { ...i, path: formatPath([built.stepNames[+step[1]!]!], "steps") + rest(i.path, step) };
    const output = /^spec\.outputs\[(\d+)\]/.exec(i.path);
    if (output)
      return { ...i, path: formatPath([built.outputUris[+output[1]!]!], "outputs") + rest(i.path, output) };
    return { ...i, path: i.path.replace(/^spec\./, "") };
  });
}

function rest(path: string, match: RegExpExecArray): string {
  return path.slice(match[0].length);
}

/**
 * Check a graph that just grew by one node or output. The validator checks meaning only once the structure
 * is whole, so a new step is checked as if it were written (that stand-in output's own issues dropped), and
 * a lone source only for what a source can get wrong (the list-level "needs a step" is left to terminals).
 */
export function checkGrowth(node: ChainNode | null, outputs: readonly OutputNode[]): void {
  const standIn = node?.kind === "step" ? [{ node, uri: "file:///imagechain-check.tif", options: {} }] : [];
  const built = buildSpec(node ? [node] : [], [...outputs, ...standIn], {});
  const checked = validateSpec(built.spec);
  const dropped = standIn.length ? /^spec\.(steps$|outputs)/ : /^spec\.(steps|outputs)$/;
  const issues = checked.ok
    ? bandIssues(built, checked.value)
    : checked.issues.filter((i) => !dropped.test(i.path));
  if (built.issues.length + issues.length) throw new FlowError(located([...built.issues, ...issues], built));
}

/** The whole chain, as a terminal call sees it: every rule of the validator, with the chain's settings. */
export function checkChain(
  outputs: readonly OutputNode[],
  settings: ChainSettings,
): { built: BuiltSpec; spec: ImageChainSpec } {
  const built = buildSpec([], outputs, settings);
  const checked = validateSpec(built.spec);
  if (!checked.ok || built.issues.length) {
    throw new FlowError(located([...built.issues, ...(checked.ok ? [] : checked.issues)], built));
  }
  return { built, spec: checked.value };
}

/**
 * Band references, checked by the planner's own rule when sources declare their band count: grids that know
 * only the bands stand in for the headers, and only the band-reference verdicts are kept (the rest of a grid
 * is unknown until the headers are read, so the other grid rules wait for `.plan()`).
 */
function bandIssues(built: BuiltSpec, spec: ImageChainSpec): Issue[] {
  const probes: Record<string, Grid> = {};
  for (const [name, s] of built.sources) {
    if (s.bands === undefined) continue;
    probes[name] = {
      width: 1,
      height: 1,
      bands: s.bands,
      dataType: "float64",
      geoTransform: null,
      crs: null,
      nodata: null,
    };
  }
  if (Object.keys(probes).length === 0) return [];
  const grids = deriveGrids(spec, probes);
  return grids.ok ? [] : grids.issues.filter((i) => i.code === "expression-reference");
}
