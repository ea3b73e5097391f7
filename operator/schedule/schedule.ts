import { laneRange } from "../plan/lanes.ts";
import type { Plan } from "../plan/plan.ts";
import { DELETED, DONE, PENDING, type Action, type ChainState } from "./types.ts";

export interface ScheduleOptions {
  /** Live values of `execution` (they may change after planning); default: the planned spec's. */
  readonly parallelism?: number;
  readonly tasksPerPod?: number;
  readonly suspend?: boolean;
  /**
   * Only look at these lanes for deletions and new batches (retries are always considered): for
   * callers that know which lanes changed since their last call. Default: every lane.
   */
  readonly lanes?: readonly number[];
}

/**
 * What to do now, from the plan and the state of record alone (no I/O, clock passed in):
 * delete tiles whose consumers have all finished, restart batches whose backoff has elapsed, start
 * new depth-first batches on lanes up to `parallelism` pods, and say when to look again.
 */
export function schedule(
  plan: Plan,
  state: ChainState,
  now: number,
  options: ScheduleOptions = {},
): Action[] {
  if (state.failure !== null) return [{ type: "FailChain", message: state.failure }];
  const { execution, suspend } = plan.spec;
  const parallelism = options.parallelism ?? execution.parallelism;
  const tasksPerPod = options.tasksPerPod ?? execution.tasksPerPod;
  const suspended = options.suspend ?? suspend;
  const lanes = options.lanes ?? Array.from({ length: plan.lanes.count }, (_, i) => i);
  const { tasks } = state;
  const actions: Action[] = deletions(plan, tasks, lanes);

  const assembles = plan.stages.flatMap((s, i) => (s.kind === "assemble" ? [plan.dag.stageStart[i]!] : []));
  if (assembles.every((t) => tasks[t] === DONE || tasks[t] === DELETED))
    return [...actions, { type: "Complete" }];

  let running = state.batches.filter((b) => b.phase === "running").length;
  let wake = Infinity;
  for (const b of state.batches) {
    if (b.phase !== "backoff") continue;
    if (b.retryAt! > now) wake = Math.min(wake, b.retryAt!);
    else if (!suspended && running < parallelism && inputsReady(plan, tasks, b.tasks)) {
      actions.push({ type: "StartBatch", batch: b.id, lane: b.lane, attempt: b.attempt + 1, tasks: b.tasks });
      running++;
    }
  }
  if (!suspended && running < parallelism) {
    // Tasks of running batches are not pending; those of batches waiting to retry are kept for them.
    const reserved = new Set(state.batches.flatMap((b) => (b.phase === "backoff" ? b.tasks : [])));
    const builder = new BatchBuilder(plan, tasks, reserved);
    const seq = [...state.nextBatch];
    // Round robin over lanes, so that every lane gets a pod before any lane gets a second one.
    for (let progress = true; progress && running < parallelism;) {
      progress = false;
      for (const lane of lanes) {
        if (running >= parallelism) break;
        const batch = builder.build(lane, tasksPerPod);
        if (batch.length === 0) continue;
        actions.push({
          type: "StartBatch",
          batch: `l${lane}-b${seq[lane]!++}`,
          lane,
          attempt: 1,
          tasks: batch,
        });
        running++;
        progress = true;
      }
    }
  }
  if (wake !== Infinity) actions.push({ type: "RequeueAfter", ms: wake - now });
  return actions;
}

/** The task ids of a lane: one contiguous range [first, end) per stage. */
function laneTasks(plan: Plan, lane: number): [number, number][] {
  const { stageStart } = plan.dag;
  const ranges: [number, number][] = [];
  for (let si = 0; si < stageStart.length - 1; si++) {
    const start = stageStart[si]!;
    const [first, end] = laneRange(stageStart[si + 1]! - start, plan.lanes.count, lane);
    if (end > first) ranges.push([start + first, start + end]);
  }
  return ranges;
}

/**
 * A batch waiting to retry may have lost inputs since (a lane loss sent them back to be recomputed):
 * it restarts only once every input is done or made earlier in the batch.
 */
function inputsReady(plan: Plan, tasks: Uint8Array, batch: readonly number[]): boolean {
  const { depStart, deps } = plan.dag;
  const earlier = new Set<number>();
  for (const t of batch) {
    for (let e = depStart[t]!; e < depStart[t + 1]!; e++) {
      if (tasks[deps[e]!] !== DONE && !earlier.has(deps[e]!)) return false;
    }
    earlier.add(t);
  }
  return true;
}

/** Done tiles of these lanes whose consumers are all done: delete them, grouped by lane. */
function deletions(plan: Plan, tasks: Uint8Array, lanes: readonly number[]): Action[] {
  const { consumerStart, consumers } = plan.dag;
  const actions: Action[] = [];
  for (const lane of [...lanes].sort((a, b) => a - b)) {
    const list: number[] = [];
    for (const [a, b] of laneTasks(plan, lane)) {
      for (let t = a; t < b; t++) {
        const first = consumerStart[t]!;
        const end = consumerStart[t + 1]!;
        if (tasks[t] !== DONE || first === end) continue;
        let finished = true;
        for (let e = first; e < end && finished; e++) finished = tasks[consumers[e]!]! >= DONE;
        if (finished) list.push(t);
      }
    }
    if (list.length) actions.push({ type: "DeleteTiles", lane, tasks: list });
  }
  return actions;
}

/**
 * Depth-first batches: take the ready task of the deepest stage (ties: first a tile that other lanes
 * wait for, so that no lane idles at its border; then the one whose inputs it is the last reader of, so
 * the most scratch is freed; then the lowest id), count it as done, and let its same-lane consumers
 * become ready, until the batch is full. Work is per lane and lazy, so a call costs what the lanes it
 * builds for hold.
 */
class BatchBuilder {
  private readonly plan: Plan;
  private readonly tasks: Uint8Array;
  private readonly reserved: ReadonlySet<number>;
  private readonly taken = new Set<number>();
  // Per task, 1 + inputs not done (nor taken) and 1 + readers not done (nor taken); 0 = not computed yet.
  // Fresh typed arrays are zero pages until touched, so a call pays only for the lanes it looks at.
  private readonly missing: Int32Array;
  private readonly unread: Int32Array;
  private readonly ready = new Map<number, Map<number, number[]>>(); // lane → stage → ready task ids

  constructor(plan: Plan, tasks: Uint8Array, reserved: ReadonlySet<number>) {
    this.plan = plan;
    this.tasks = tasks;
    this.reserved = reserved;
    this.missing = new Int32Array(tasks.length);
    this.unread = new Int32Array(tasks.length);
  }

  private missingOf(t: number): number {
    if (this.missing[t] === 0) {
      const { depStart, deps } = this.plan.dag;
      let m = 1;
      for (let e = depStart[t]!; e < depStart[t + 1]!; e++) if (this.tasks[deps[e]!]! < DONE) m++;
      this.missing[t] = m;
    }
    return this.missing[t]! - 1;
  }

  private unreadOf(t: number): number {
    if (this.unread[t] === 0) {
      const { consumerStart, consumers } = this.plan.dag;
      let u = 1;
      for (let e = consumerStart[t]!; e < consumerStart[t + 1]!; e++)
        if (this.tasks[consumers[e]!]! < DONE) u++;
      this.unread[t] = u;
    }
    return this.unread[t]! - 1;
  }

  private available(t: number): boolean {
    return this.tasks[t] === PENDING && !this.reserved.has(t) && !this.taken.has(t);
  }

  private readyIn(lane: number): Map<number, number[]> {
    let byStage = this.ready.get(lane);
    if (byStage) return byStage;
    byStage = new Map();
    laneTasks(this.plan, lane).forEach(([a, b]) => {
      const stage = this.stageOf(a);
      for (let t = a; t < b; t++) if (this.available(t) && this.missingOf(t) === 0) push(byStage!, stage, t);
    });
    this.ready.set(lane, byStage);
    return byStage;
  }

  private stageOf(t: number): number {
    const starts = this.plan.dag.stageStart;
    let s = 0;
    while (starts[s + 1]! <= t) s++;
    return s;
  }

  private frees(t: number): number {
    const { depStart, deps } = this.plan.dag;
    let n = 0;
    for (let e = depStart[t]!; e < depStart[t + 1]!; e++) if (this.unreadOf(deps[e]!) === 1) n++;
    return n;
  }

  build(lane: number, size: number): number[] {
    const ready = this.readyIn(lane);
    const batch: number[] = [];
    const waitingOnBatch: number[] = [];
    const unlocked: number[] = [];
    const { depStart, deps, consumerStart, consumers } = this.plan.dag;
    while (batch.length < size && ready.size > 0) {
      const stage = Math.max(...ready.keys());
      const list = ready.get(stage)!;
      let best = 0;
      let bestFrees = -1;
      for (let i = 0; i < list.length && i < 64; i++) {
        // Shared tiles outrank any count of freed inputs (a task reads at most a few hundred tiles).
        const f = this.plan.lanes.shared[list[i]!]! * 1e6 + this.frees(list[i]!);
        if (f > bestFrees || (f === bestFrees && list[i]! < list[best]!)) [best, bestFrees] = [i, f];
      }
      const t = list.splice(best, 1)[0]!;
      if (list.length === 0) ready.delete(stage);
      batch.push(t);
      this.taken.add(t);
      for (let e = depStart[t]!; e < depStart[t + 1]!; e++) {
        this.unreadOf(deps[e]!);
        this.unread[deps[e]!]!--;
      }
      for (let e = consumerStart[t]!; e < consumerStart[t + 1]!; e++) {
        const c = consumers[e]!;
        const m = this.missingOf(c) - 1;
        this.missing[c]!--;
        waitingOnBatch.push(c);
        if (m === 0 && this.available(c) && this.plan.lanes.laneOf[c] === lane) {
          push(ready, this.stageOf(c), c);
          unlocked.push(c);
        }
      }
    }
    // What this batch will make is not done yet: readers left out of it wait for the batch to finish.
    for (const c of waitingOnBatch) this.missing[c]!++;
    for (const c of unlocked) {
      if (this.taken.has(c)) continue;
      const stage = this.stageOf(c);
      const list = ready.get(stage)!;
      list.splice(list.indexOf(c), 1);
      if (list.length === 0) ready.delete(stage);
    }
    return batch;
  }
}

function push(byStage: Map<number, number[]>, stage: number, t: number): void {
  const list = byStage.get(stage);
  if (list) list.push(t);
  else byStage.set(stage, [t]);
}
