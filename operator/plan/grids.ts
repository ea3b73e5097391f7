import type { Grid } from "../../worker/ops/grid.ts";
import { opOf } from "../../worker/ops/registry.ts";
import type { Checked, Issue } from "../spec/issues.ts";
import type { ImageChainSpec } from "../spec/schema.ts";
import { topologicalSteps } from "../spec/validate.ts";

/** The headers of the sources, by source name: the planner's only knowledge of the data. */
export type SourceGrids = Readonly<Record<string, Grid>>;

/**
 * Every step's output grid, derived in dependency order from the sources' grids and each op's rule.
 * A step whose inputs failed is skipped, so one mistake gives one issue.
 */
export function deriveGrids(spec: ImageChainSpec, sources: SourceGrids): Checked<ReadonlyMap<string, Grid>> {
  const grids = new Map<string, Grid>();
  const issues: Issue[] = [];
  for (const [name, grid] of Object.entries(sources)) if (name in spec.sources) grids.set(name, grid);
  for (const name of Object.keys(spec.sources)) {
    if (!grids.has(name))
      issues.push({
        code: "source-unread",
        path: `spec.sources.${name}`,
        message: `no header is known for source '${name}'`,
      });
  }
  const indexOf = new Map(spec.steps.map((s, i) => [s, i]));
  for (const step of topologicalSteps(spec)) {
    const inputs = new Map<string, Grid>();
    for (const [alias, ref] of Object.entries(step.inputs)) {
      const g = grids.get(ref);
      if (g) inputs.set(alias, g);
    }
    if (inputs.size !== Object.keys(step.inputs).length) continue;
    const result = opOf(step.op).outputGrid(step.params, inputs);
    if ("code" in result) issues.push({ ...result, path: `spec.steps[${indexOf.get(step)}].${result.path}` });
    else grids.set(step.name, result);
  }
  return issues.length ? { ok: false, issues } : { ok: true, value: grids };
}
