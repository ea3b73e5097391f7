/**
 * The local executor (`imagechain run`): the operator's plan and scheduler, with worker processes in place
 * of pods and directories in place of volumes. It feeds the scheduler what the workers report, carries out
 * what it asks (start batches, delete tiles, wait), and stops at Complete or FailChain.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { plan, type Plan } from "../plan/plan.ts";
import { formatIssues } from "../spec/issues.ts";
import type { ImageChainSpec } from "../spec/schema.ts";
import { schedule } from "../schedule/schedule.ts";
import { observe } from "../schedule/transitions.ts";
import { DONE, initialState, type ChainState, type Stimulus } from "../schedule/types.ts";
import { taskCount } from "../plan/dag.ts";
import { checkDestination } from "../../worker/io/sink/check.ts";
import { outputCogs } from "../../worker/run/output-cog.ts";
import { keysOf } from "../../worker/run/products.ts";
import { dirScratch } from "../../worker/run/scratch.ts";
import { openSources, s3OptionsOf } from "../../worker/run/sources.ts";
import { startPool, type PoolEvents, type WorkerPool } from "./worker-pool.ts";

export interface RunOptions {
  /** Worker processes to start; or `pool`, workers started by the caller (run takes it over and closes it). */
  readonly workers: number;
  readonly pool?: WorkerPool;
  /** Where the run's scratch directory is made (and removed at the end unless keepScratch). */
  readonly workdir: string;
  readonly keepScratch?: boolean;
  readonly onEvent?: (e: RunEvent) => void;
}

export type RunEvent =
  | { readonly type: "planned"; readonly plan: Plan; readonly scratch: string }
  | { readonly type: "worker"; readonly slot: number; readonly pid: number }
  | { readonly type: "progress"; readonly done: number; readonly total: number }
  | { readonly type: "retry"; readonly batch: string; readonly message: string };

export interface RunSummary {
  readonly outputs: readonly { readonly uri: string; readonly bytes: number }[];
  readonly tasks: number;
  /** Pixels of the outputs' full-resolution grids. */
  readonly pixels: number;
  readonly peakScratchBytes: number;
  readonly failedBatches: number;
  readonly scratch: string | null;
}

/** A chain that cannot run: `permanent` when the input is at fault (exit 2), else retries ran out (exit 1). */
export class RunError extends Error {
  override readonly name = "RunError";
  readonly permanent: boolean;
  constructor(message: string, permanent: boolean) {
    super(message);
    this.permanent = permanent;
  }
}

export async function runChain(spec: ImageChainSpec, opts: RunOptions): Promise<RunSummary> {
  const emit = opts.onEvent ?? (() => undefined);
  // Workers load their code while this process reads the headers and plans; `execute` sets the handlers.
  const handlers: Omit<PoolEvents, "spawned"> = { task: ignore, done: ignore, failed: ignore };
  const pool = opts.pool ?? startPool(opts.workers);
  pool.listen({
    task: (ref, task, result) => handlers.task(ref, task, result),
    done: (ref) => handlers.done(ref),
    failed: (ref, permanent, message) => handlers.failed(ref, permanent, message),
    spawned: (slot, pid) => emit({ type: "worker", slot, pid }),
  });
  let root: string | null = null;
  try {
    const sources = await openSources(spec, s3OptionsOf(spec));
    await sources.close();
    const planned = plan(spec, sources.grids, { lanes: pool.size });
    if (!planned.ok)
      throw new RunError(`the chain cannot be planned:\n${formatIssues(planned.issues)}`, true);
    const p = planned.value;
    outputCogs(p); // an output that cannot be a COG fails here, before any work
    await Promise.all(spec.outputs.map((o) => checkDestination(o.uri, s3OptionsOf(spec))));
    await mkdir(opts.workdir, { recursive: true });
    root = await mkdtemp(join(opts.workdir, "imagechain-run-"));
    emit({ type: "planned", plan: p, scratch: root });
    return await execute(p, root, pool, handlers, opts, emit);
  } finally {
    // Workers first: one still running a batch of a failed chain would write into a directory being removed.
    await pool.close();
    if (root !== null && !opts.keepScratch) await rm(root, { recursive: true, force: true });
  }
}

function ignore(): void {}

async function execute(
  p: Plan,
  root: string,
  pool: WorkerPool,
  handlers: Omit<PoolEvents, "spawned">,
  opts: RunOptions,
  emit: (e: RunEvent) => void,
): Promise<RunSummary> {
  const { spec } = p;
  const scratch = dirScratch(root, { oneArea: true });
  const total = taskCount(p.dag);
  const inbox: Stimulus[] = [];
  let wake: (() => void) | null = null;
  const post = (s: Stimulus) => {
    inbox.push(s);
    wake?.();
  };
  const outputs: { uri: string; bytes: number }[] = [];
  let scratchBytes = 0;
  let peakScratchBytes = 0;
  let failedBatches = 0;
  let permanentFailure: string | null = null;
  let done = 0;

  handlers.task = (ref, task, result) => {
    scratchBytes += result.scratchBytes;
    peakScratchBytes = Math.max(peakScratchBytes, scratchBytes);
    if (result.output) outputs.push(result.output);
    post({ type: "TasksSucceeded", batch: ref.batch, attempt: ref.attempt, tasks: [task] });
  };
  handlers.done = (ref) => post({ type: "BatchSucceeded", batch: ref.batch, attempt: ref.attempt });
  handlers.failed = (ref, permanent, message) => {
    failedBatches++;
    if (permanent) permanentFailure ??= message;
    else emit({ type: "retry", batch: ref.batch, message });
    const reason = permanent ? "permanent" : "error";
    post({ type: "BatchFailed", batch: ref.batch, attempt: ref.attempt, reason, at: Date.now(), message });
  };
  await pool
    .init({ type: "init", spec, lanes: p.lanes.count, scratch: root, oneArea: true })
    .catch((e: Error & { permanent?: boolean }) => {
      throw new RunError(e.message, e.permanent ?? false);
    });

  let state: ChainState = initialState(total, p.lanes.count);
  let timer: NodeJS.Timeout | undefined;
  let due: boolean; // a timer that fired while this loop was busy must not be lost
  try {
    for (;;) {
      if (inbox.length) {
        const stimuli = inbox.splice(0);
        state = observe(p, state, stimuli).state;
        const now = countDone(state);
        if (now !== done) emit({ type: "progress", done: (done = now), total });
      }
      let acted = false;
      due = false;
      for (const a of schedule(p, state, Date.now(), { parallelism: pool.size })) {
        switch (a.type) {
          case "Complete":
            return {
              outputs: spec.outputs.map((o) => outputs.find((x) => x.uri === o.uri)!),
              tasks: total,
              pixels: spec.outputs.reduce((n, o) => n + pixelsOf(p, o.step), 0),
              peakScratchBytes,
              failedBatches,
              scratch: opts.keepScratch ? root : null,
            };
          case "FailChain":
            throw new RunError(permanentFailure ?? a.message, permanentFailure !== null);
          case "DeleteTiles": {
            const keys = a.tasks.flatMap((t) => keysOf(p, t));
            scratchBytes -= await scratch.remove(a.lane, keys);
            state = observe(p, state, { type: "TilesDeleted", tasks: a.tasks }).state;
            acted = true;
            break;
          }
          case "StartBatch":
            state = observe(p, state, {
              type: "BatchStarted",
              batch: a.batch,
              lane: a.lane,
              attempt: a.attempt,
              tasks: a.tasks,
            }).state;
            await pool.run({ batch: a.batch, attempt: a.attempt }, a.lane, a.tasks);
            acted = true;
            break;
          case "RequeueAfter":
            clearTimeout(timer);
            timer = setTimeout(
              () => {
                due = true;
                wake?.();
              },
              Math.max(1, a.ms),
            );
            break;
        }
      }
      if (acted || inbox.length || due) continue;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
    }
  } finally {
    clearTimeout(timer);
  }
}

function countDone(state: ChainState): number {
  let n = 0;
  for (const t of state.tasks) if (t >= DONE) n++;
  return n;
}

function pixelsOf(p: Plan, step: string): number {
  const g = p.grids.get(step)!;
  return g.width * g.height;
}
