import type { Plan } from "../plan/plan.ts";
import { DELETED, DONE, PENDING, type Action, type ChainState } from "./types.ts";

export interface ScheduleOptions {
  /** Live values of `execution` (they may change after planning); default: the planned spec's. */
  readonly parallelism?: number;
  readonly tasksPerPod?: number;
  readonly suspend?: boolean;
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
  const { tasks } = state;
  const actions: Action[] = deletions(plan, tasks);

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
    const reserved = new Set(state.batches.flatMap((b) => b.tasks));
    const builder = new BatchBuilder(plan, tasks, reserved);
    const seq = [...state.nextBatch];
    // Round robin over lanes, so that every lane gets a pod before any lane gets a second one.
    for (let progress = true; progress && running < parallelism;) {
      progress = false;
      for (let lane = 0; lane < plan.lanes.count && running < parallelism; lane++) {
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

/** Done tiles whose consumers are all done: delete them, grouped by lane. */
function deletions(plan: Plan, tasks: Uint8Array): Action[] {
  const { consumerStart, consumers } = plan.dag;
  const byLane = new Map<number, number[]>();
  for (let t = 0; t < tasks.length; t++) {
    const first = consumerStart[t]!;
    const end = consumerStart[t + 1]!;
    if (tasks[t] !== DONE || first === end) continue;
    let finished = true;
    for (let e = first; e < end && finished; e++) finished = tasks[consumers[e]!]! >= DONE;
    if (!finished) continue;
    const lane = plan.lanes.laneOf[t]!;
    const list = byLane.get(lane) ?? [];
    list.push(t);
    byLane.set(lane, list);
  }
  return [...byLane]
    .sort(([a], [b]) => a - b)
    .map(([lane, list]) => ({ type: "DeleteTiles", lane, tasks: list }));
}

/**
 * Depth-first batches: take the ready task of the deepest stage (ties: the one whose inputs it is the
 * last reader of, so the most scratch is freed; then the lowest id), count it as done, and let its
 * same-lane consumers become ready, until the batch is full.
 */
class BatchBuilder {
  private readonly plan: Plan;
  private readonly tasks: Uint8Array;
  private readonly taken: Set<number>;
  private readonly missing: Int32Array; // inputs not yet done (or taken), per task
  private readonly unread: Int32Array; // consumers not yet done (or taken), per task
  private readonly ready: Map<number, number[]>[]; // per lane: stage → ready task ids

  constructor(plan: Plan, tasks: Uint8Array, reserved: ReadonlySet<number>) {
    this.plan = plan;
    this.tasks = tasks;
    this.taken = new Set(reserved);
    const { depStart, deps, consumerStart, consumers, stageStart } = plan.dag;
    const n = tasks.length;
    this.missing = new Int32Array(n);
    this.unread = new Int32Array(n);
    this.ready = Array.from({ length: plan.lanes.count }, () => new Map());
    for (let si = 0; si < stageStart.length - 1; si++) {
      for (let t = stageStart[si]!; t < stageStart[si + 1]!; t++) {
        let m = 0;
        for (let e = depStart[t]!; e < depStart[t + 1]!; e++) if (tasks[deps[e]!]! < DONE) m++;
        let u = 0;
        for (let e = consumerStart[t]!; e < consumerStart[t + 1]!; e++) if (tasks[consumers[e]!]! < DONE) u++;
        this.missing[t] = m;
        this.unread[t] = u;
        if (m === 0 && tasks[t] === PENDING && !reserved.has(t)) this.enqueue(t, si);
      }
    }
  }

  private enqueue(t: number, stage: number): void {
    const lane = this.ready[this.plan.lanes.laneOf[t]!]!;
    const list = lane.get(stage);
    if (list) list.push(t);
    else lane.set(stage, [t]);
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
    for (let e = depStart[t]!; e < depStart[t + 1]!; e++) if (this.unread[deps[e]!] === 1) n++;
    return n;
  }

  build(lane: number, size: number): number[] {
    const ready = this.ready[lane]!;
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
        const f = this.frees(list[i]!);
        if (f > bestFrees || (f === bestFrees && list[i]! < list[best]!)) [best, bestFrees] = [i, f];
      }
      const t = list.splice(best, 1)[0]!;
      if (list.length === 0) ready.delete(stage);
      batch.push(t);
      this.taken.add(t);
      for (let e = depStart[t]!; e < depStart[t + 1]!; e++) this.unread[deps[e]!]!--;
      for (let e = consumerStart[t]!; e < consumerStart[t + 1]!; e++) {
        const c = consumers[e]!;
        waitingOnBatch.push(c);
        if (
          --this.missing[c]! === 0 &&
          this.tasks[c] === PENDING &&
          !this.taken.has(c) &&
          this.plan.lanes.laneOf[c] === lane
        ) {
          this.enqueue(c, this.stageOf(c));
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
