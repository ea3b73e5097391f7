import type { Grid } from "../../worker/ops/grid.ts";
import type { Checked } from "../spec/issues.ts";
import type { ImageChainSpec } from "../spec/schema.ts";
import { buildDag, type Dag } from "./dag.ts";
import { deriveGrids, type SourceGrids } from "./grids.ts";
import { assignLanes, type Lanes } from "./lanes.ts";
import { depthFirstExecution } from "./order.ts";
import { buildStages, type Stage } from "./stages.ts";

/** Everything the scheduler and the executors need, derived from the spec and the sources' headers alone. */
export interface Plan {
  readonly spec: ImageChainSpec;
  readonly grids: ReadonlyMap<string, Grid>;
  readonly stages: readonly Stage[];
  readonly dag: Dag;
  readonly lanes: Lanes;
  /** The reference depth-first execution order (a topological order of all tasks). */
  readonly order: Uint32Array;
  readonly peakScratchTiles: number;
}

export interface PlanOptions {
  /** Lanes to cut; default `spec.execution.parallelism` (lanes are fixed when a chain is planned). */
  readonly lanes?: number;
}

export function plan(spec: ImageChainSpec, sources: SourceGrids, options: PlanOptions = {}): Checked<Plan> {
  const grids = deriveGrids(spec, sources);
  if (!grids.ok) return grids;
  const stages = buildStages(spec, grids.value);
  const dag = buildDag(stages, spec.tiling.tileSize);
  const lanes = assignLanes(stages, dag, options.lanes ?? spec.execution.parallelism);
  const { order, peakScratchTiles } = depthFirstExecution(dag, lanes);
  return { ok: true, value: { spec, grids: grids.value, stages, dag, lanes, order, peakScratchTiles } };
}

/** The summary `imagechain plan --json` prints. */
export function summarize(p: Plan) {
  return {
    stages: p.stages.map((s, i) => ({
      name: s.name,
      kind: s.kind,
      steps: s.steps,
      tasks: p.dag.stageStart[i + 1]! - p.dag.stageStart[i]!,
      grid: `${s.cols}x${s.rows} tiles`,
    })),
    tasks: p.dag.depStart.length - 1,
    edges: p.dag.deps.length,
    lanes: p.lanes.count,
    crossLaneTiles: p.lanes.crossLaneTiles,
    peakScratchTiles: p.peakScratchTiles,
  };
}
