import type { Plan } from "../../operator/plan/plan.ts";
import { observe } from "../../operator/schedule/transitions.ts";
import type { Action, ChainState, Stimulus } from "../../operator/schedule/types.ts";
import { utmGrid } from "../spec/fixtures.ts";
import { planOf } from "../plan/helpers.ts";

/** NDVI then a 3 x 3 box on a 4 x 2 tile scene, two lanes: 20 tasks, small enough to reason about. */
export function smallPlan(execution: Record<string, unknown> = {}): Plan {
  const spec = {
    sources: { scene: { uri: "s3://b/scene.tif" } },
    steps: [
      {
        name: "ndvi",
        op: "bandmath",
        inputs: { im: "scene" },
        params: { expression: "(im.b4 - im.b3) / (im.b4 + im.b3)" },
      },
      { name: "smooth", op: "convolve", inputs: { im: "ndvi" }, params: { kernel: { box: { size: 3 } } } },
    ],
    outputs: [{ step: "smooth", uri: "s3://out/smooth.tif" }],
    tiling: { tileSize: 256 },
    execution: { parallelism: 2, tasksPerPod: 4, ...execution },
  };
  return planOf(spec, { scene: utmGrid({ width: 1024, height: 512 }) });
}

/** Apply stimuli one after another. */
export function apply(plan: Plan, state: ChainState, ...stimuli: Stimulus[]): ChainState {
  return stimuli.reduce((s, stimulus) => observe(plan, s, stimulus).state, state);
}

/** The stimuli a shell reports after creating the pods of these actions. */
export function started(actions: readonly Action[]): Stimulus[] {
  return actions.flatMap((a): Stimulus[] =>
    a.type === "StartBatch"
      ? [{ type: "BatchStarted", batch: a.batch, lane: a.lane, attempt: a.attempt, tasks: a.tasks }]
      : [],
  );
}
