/**
 * The two stages of a global reduction (a step whose footprint on an input is `reduction`): a partials task
 * condenses one tile of that input; the one reduce task merges every partial, in task order, into the
 * statistics that each tile task of the step then reads (KernelInput.reduced). Partials are read by the
 * reduce task, whatever its lane: the lanes plan marks them shared.
 */
import type { Plan } from "../../operator/plan/plan.ts";
import type { Step } from "../../operator/spec/schema.ts";
import type { Block, TypedArray } from "../io/raster.ts";
import type { Grid } from "../ops/grid.ts";
import type { Reduction } from "../ops/kernel.ts";
import type { OpName } from "../ops/registry.ts";
import { opOf } from "../ops/registry.ts";
import { stretchReduction } from "../ops/stretch.ts";
import type { TaskResult, WorkerContext } from "./context.ts";
import { areasOf, destinations, partialKey, positionOf, reducedKey, type TilePosition } from "./products.ts";
import { readLayer, tileWindow } from "./tiles-task.ts";

/** The ops with a reduction footprint, and their two halves. */
const REDUCTIONS: Partial<Record<OpName, Reduction<unknown>>> = {
  stretch: stretchReduction as Reduction<unknown>,
};

interface Reducing {
  readonly step: Step;
  readonly reduction: Reduction<unknown>;
  /** The input that is reduced: a source or an earlier step. */
  readonly ref: string;
  readonly grid: Grid;
}

/** The step that a reduce stage serves: the tiles stage that depends on all of it. */
function reducingStep(ctx: WorkerContext, reduceStage: number): Reducing {
  const { plan } = ctx;
  const consumer = plan.stages.find(
    (s) => s.kind === "tiles" && s.deps.some((d) => d.kind === "all" && d.stage === reduceStage),
  );
  const step = consumer && ctx.steps.get(consumer.steps[0]!);
  const reduction = step && REDUCTIONS[step.op];
  if (!step || !reduction) throw new Error(`no step consumes ${plan.stages[reduceStage]!.name}`);
  const op = opOf(step.op);
  const out = plan.grids.get(step.name)!;
  const ref = Object.entries(step.inputs).find(
    ([alias, r]) => op.footprint(step.params, alias, plan.grids.get(r)!, out).kind === "reduction",
  )![1];
  return { step, reduction, ref, grid: plan.grids.get(ref)! };
}

function reduceStageOf(plan: Plan, partialsStage: number): number {
  return plan.stages.findIndex((s) => s.kind === "reduce" && s.deps[0]!.stage === partialsStage);
}

async function put(ctx: WorkerContext, task: number, lane: number, key: string, bytes: Uint8Array) {
  const areas = areasOf(destinations(ctx.plan, task, lane, "tiles"), lane, ctx.scratch.oneArea);
  for (const area of areas) await ctx.scratch.put(area, key, [bytes]);
  return bytes.byteLength * areas.length;
}

export async function runPartialsTask(
  ctx: WorkerContext,
  task: number,
  pos: TilePosition,
  lane: number,
): Promise<TaskResult> {
  const stage = ctx.plan.stages[pos.stage]!;
  const { step, reduction, ref, grid } = reducingStep(ctx, reduceStageOf(ctx.plan, pos.stage));
  const window = tileWindow(ctx, stage.width, stage.height, pos.col, pos.row);
  const used: TypedArray[] = [];
  try {
    const source = ctx.sources.get(ref);
    const block: Block = source
      ? await source.readWindow(window)
      : await readLayer(ctx, ref, window, lane, used);
    const bytes = reduction.partial(step.params, { block, window, grid });
    return { scratchBytes: await put(ctx, task, lane, partialKey(stage.name, pos.col, pos.row), bytes) };
  } finally {
    ctx.pool.give(used);
  }
}

export async function runReduceTask(
  ctx: WorkerContext,
  task: number,
  pos: TilePosition,
  lane: number,
): Promise<TaskResult> {
  const { plan } = ctx;
  const partialsStage = plan.stages[pos.stage]!.deps[0]!.stage;
  const { step, reduction, grid } = reducingStep(ctx, pos.stage);
  const name = plan.stages[partialsStage]!.name;
  const first = plan.dag.stageStart[partialsStage]!;
  const end = plan.dag.stageStart[partialsStage + 1]!;
  async function* partials(): AsyncGenerator<Uint8Array> {
    for (let t = first; t < end; t++) {
      const { col, row } = positionOf(plan, t);
      const key = partialKey(name, col, row);
      const bytes = await ctx.scratch.get(key, lane);
      if (bytes === null)
        throw new Error(`partial ${key} is missing (deleted or lost before the reduce ran)`);
      yield bytes;
    }
  }
  const reduced = await reduction.reduce(step.params, grid, partials);
  return { scratchBytes: await put(ctx, task, lane, reducedKey(plan.stages[pos.stage]!.name), reduced) };
}

/** The statistics a tile task of `stage` receives from the reduce stage it depends on. */
export async function readReduced(ctx: WorkerContext, stage: number, lane: number): Promise<Uint8Array> {
  const dep = ctx.plan.stages[stage]!.deps.find((d) => ctx.plan.stages[d.stage]!.kind === "reduce");
  if (dep === undefined) throw new Error(`${ctx.plan.stages[stage]!.name} depends on no reduce stage`);
  const key = reducedKey(ctx.plan.stages[dep.stage]!.name);
  const bytes = await ctx.scratch.get(key, lane);
  if (bytes === null)
    throw new Error(`statistics ${key} are missing (deleted or lost before their reader ran)`);
  return bytes;
}
