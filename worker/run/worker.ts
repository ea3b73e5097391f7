/**
 * A worker: the plan re-derived from the spec (the command line carries only the spec, the lane count
 * and the task ids), the sources opened once, and batches of tasks run one task after another in the
 * order given (depth-first: a tile's consumers follow it while it is still in the page cache).
 */
import { plan } from "../../operator/plan/plan.ts";
import { formatIssues } from "../../operator/spec/issues.ts";
import type { ImageChainSpec } from "../../operator/spec/schema.ts";
import { ArrayPool } from "./array-pool.ts";
import type { TaskResult, WorkerContext } from "./context.ts";
import { outputCogs } from "./output-cog.ts";
import { positionOf } from "./products.ts";
import { runAssembleTask, runOverviewTask } from "./pyramid-tasks.ts";
import { runPartialsTask, runReduceTask } from "./reduce-tasks.ts";
import type { Scratch } from "./scratch.ts";
import { openSources, s3OptionsOf } from "./sources.ts";
import { TaskError } from "./task-error.ts";
import { runTilesTask } from "./tiles-task.ts";

export interface Worker {
  readonly context: WorkerContext;
  runTask(task: number, lane: number): Promise<TaskResult>;
  close(): Promise<void>;
}

export async function startWorker(spec: ImageChainSpec, lanes: number, scratch: Scratch): Promise<Worker> {
  const s3 = s3OptionsOf(spec);
  const sources = await openSources(spec, s3).catch((e: unknown) => {
    throw TaskError.wrap(e, "opening the sources");
  });
  try {
    const planned = plan(spec, sources.grids, { lanes });
    if (!planned.ok)
      throw new TaskError(`the chain cannot be planned:\n${formatIssues(planned.issues)}`, true);
    const context: WorkerContext = {
      plan: planned.value,
      steps: new Map(spec.steps.map((s) => [s.name, s])),
      sources: sources.readers,
      scratch,
      cogs: outputCogs(planned.value),
      s3,
      pool: new ArrayPool(),
    };
    return {
      context,
      async runTask(task, lane) {
        const pos = positionOf(context.plan, task);
        const stage = context.plan.stages[pos.stage]!;
        const where = `task ${task} (${stage.name}, tile ${pos.col},${pos.row})`;
        try {
          switch (stage.kind) {
            case "tiles":
              return await runTilesTask(context, task, pos, lane);
            case "overview":
              return await runOverviewTask(context, task, pos, lane);
            case "assemble":
              return await runAssembleTask(context, stage.index!);
            case "partials":
              return await runPartialsTask(context, task, pos, lane);
            case "reduce":
              return await runReduceTask(context, task, pos, lane);
          }
        } catch (e) {
          throw TaskError.wrap(e, where);
        }
      },
      close: () => sources.close(),
    };
  } catch (e) {
    await sources.close();
    throw TaskError.wrap(e, "planning");
  }
}
