import type { Plan } from "../plan/plan.ts";
import { retryDelayMs } from "./backoff.ts";
import { recover } from "./lineage.ts";
import {
  DELETED,
  DONE,
  PENDING,
  RUNNING,
  TASK_STATE_NAMES,
  type Batch,
  type ChainState,
  type Stimulus,
  type TaskState,
  type Transition,
} from "./types.ts";

/** The only task transitions there are; anything else is a bug and throws. */
const ALLOWED: Readonly<Record<TaskState, readonly TaskState[]>> = {
  [PENDING]: [RUNNING],
  [RUNNING]: [DONE, PENDING],
  [DONE]: [DELETED, PENDING],
  [DELETED]: [PENDING],
};

export interface Observed {
  readonly state: ChainState;
  readonly transitions: readonly Transition[];
}

/**
 * Apply stimuli in order: a new state (the input is not modified; the task array is copied once per
 * call) and the task transitions they caused. Reports about a batch attempt that is no longer current
 * are stale and change nothing.
 */
export function observe(plan: Plan, state: ChainState, stimuli: Stimulus | readonly Stimulus[]): Observed {
  const list: readonly Stimulus[] = Array.isArray(stimuli) ? stimuli : [stimuli as Stimulus];
  const transitions: Transition[] = [];
  const working: ChainState = { ...state, tasks: state.tasks.slice() };
  const after = list.reduce((s, stimulus) => applyOne(plan, s, stimulus, transitions), working);
  return { state: after === working ? state : after, transitions };
}

/** One stimulus on a state whose task array is this call's own copy (moved in place). */
function applyOne(plan: Plan, state: ChainState, stimulus: Stimulus, transitions: Transition[]): ChainState {
  const { tasks } = state;
  const batchId = "batch" in stimulus ? stimulus.batch : null;
  const move = (task: number, to: TaskState): void => {
    const from = tasks[task] as TaskState;
    if (!ALLOWED[from].includes(to)) {
      throw new Error(
        `task ${task}: impossible transition ${TASK_STATE_NAMES[from]} → ${TASK_STATE_NAMES[to]} on ${stimulus.type}`,
      );
    }
    tasks[task] = to;
    transitions.push({ task, from, to, stimulus: stimulus.type, batch: batchId });
  };
  // Where a finished task's output is: set when it finishes, not when it starts — an attempt on another
  // lane that failed must not leave the mark on a tile its own lane made afterwards.
  const madeBy = (done: readonly number[], lane: number): Uint8Array => {
    const { laneOf } = plan.lanes;
    if (done.every((t) => (laneOf[t] !== lane) === (state.moved[t] === 1))) return state.moved;
    const moved = state.moved.slice();
    for (const t of done) moved[t] = laneOf[t] !== lane ? 1 : 0;
    return moved;
  };
  const unchanged = state;
  const current = state.batches.find((b) => b.id === batchId);
  const isCurrent = current !== undefined && "attempt" in stimulus && current.attempt === stimulus.attempt;
  const withBatches = (batches: readonly Batch[], extra: Partial<ChainState> = {}): ChainState => ({
    ...state,
    ...extra,
    batches,
  });

  switch (stimulus.type) {
    case "BatchStarted": {
      if (current?.phase === "running" || (current && stimulus.attempt <= current.attempt)) return unchanged;
      for (const t of stimulus.tasks) move(t, RUNNING);
      const batch: Batch = current
        ? {
            ...current,
            lane: stimulus.lane, // a retry may run on another lane's node
            attempt: stimulus.attempt,
            tasks: stimulus.tasks,
            phase: "running",
            retryAt: null,
          }
        : {
            id: stimulus.batch,
            lane: stimulus.lane,
            tasks: stimulus.tasks,
            attempt: stimulus.attempt,
            failures: 0,
            phase: "running",
            retryAt: null,
            lastError: null,
          };
      const nextBatch = [...state.nextBatch];
      const seq = Number(/-b(\d+)$/.exec(stimulus.batch)?.[1] ?? -1);
      if (!current) nextBatch[stimulus.lane] = Math.max(nextBatch[stimulus.lane]!, seq + 1);
      // A batch waiting to retry gives up the tasks another batch started (schedule() releases them when
      // it has no failure of its own to wait out and its inputs were lost); emptied, it is dropped.
      const started = new Set(stimulus.tasks);
      const others = state.batches.flatMap((b): Batch[] => {
        if (b === current || b.phase !== "backoff" || !b.tasks.some((t) => started.has(t)))
          return b === current ? [] : [b];
        const rest = b.tasks.filter((t) => !started.has(t));
        return rest.length ? [{ ...b, tasks: rest }] : [];
      });
      return withBatches([...others, batch], { nextBatch });
    }
    case "TasksSucceeded": {
      if (!isCurrent) return unchanged;
      const done = stimulus.tasks.filter((t) => tasks[t] === RUNNING);
      for (const t of done) move(t, DONE);
      return withBatches(state.batches, {
        ...proven(state, current.lane),
        moved: madeBy(done, current.lane),
      });
    }
    case "BatchSucceeded": {
      if (!isCurrent) return unchanged;
      const done = current.tasks.filter((t) => tasks[t] === RUNNING);
      for (const t of done) move(t, DONE);
      return withBatches(
        state.batches.filter((b) => b !== current),
        { ...proven(state, current.lane), moved: madeBy(done, current.lane) },
      );
    }
    case "BatchFailed": {
      if (!isCurrent || current.phase !== "running") return unchanged;
      const remaining = current.tasks.filter((t) => tasks[t] === RUNNING);
      for (const t of remaining) move(t, PENDING);
      const others = state.batches.filter((b) => b !== current);
      if (stimulus.reason === "permanent") {
        return withBatches(others, {
          failure: `batch ${current.id} failed permanently: ${stimulus.message}`,
        });
      }
      const counted = stimulus.reason === "error" ? 1 : 0;
      const failures = current.failures + counted;
      if (failures > plan.spec.execution.retries.limit) {
        const message = `batch ${current.id} failed ${failures} times (limit ${plan.spec.execution.retries.limit}); last: ${stimulus.message}`;
        return withBatches(others, { failure: message });
      }
      if (remaining.length === 0) return withBatches(others);
      const retryAt =
        stimulus.at + (counted ? retryDelayMs(failures, plan.spec.execution.retries.backoffSeconds) : 0);
      // Completions are reported as they happen, so an error belongs to the first task not reported: only
      // it waits out the backoff; the batch's other tasks go back to the pool and need not wait with it.
      const waiting: Batch = {
        ...current,
        tasks: counted ? remaining.slice(0, 1) : remaining,
        failures,
        phase: "backoff",
        retryAt,
        lastError: stimulus.message,
      };
      return withBatches([...others, waiting]);
    }
    case "TilesDeleted": {
      for (const t of stimulus.tasks) if (tasks[t] === DONE) move(t, DELETED);
      return withBatches(state.batches);
    }
    case "TilesLost": {
      const { recompute, gone } = recover(plan, state.tasks, new Set(), state.moved, new Set(stimulus.tasks));
      for (const t of gone) move(t, DELETED);
      for (const t of recompute) move(t, PENDING);
      return withBatches(state.batches);
    }
    case "LaneLost": {
      const { recompute, gone } = recover(plan, state.tasks, new Set([stimulus.lane]), state.moved);
      for (const t of gone) move(t, DELETED);
      for (const t of recompute) move(t, PENDING);
      const unproven = state.unproven ? state.unproven.slice() : new Uint8Array(plan.lanes.count);
      unproven[stimulus.lane] = 1;
      return withBatches(state.batches, { unproven });
    }
  }
}

/** A lane's node has finished a task since the lane was lost: it is up again. */
function proven(state: ChainState, lane: number): Partial<ChainState> {
  if (state.unproven?.[lane] !== 1) return {};
  const unproven = state.unproven.slice();
  unproven[lane] = 0;
  return { unproven };
}

/** Every transition of one task, in order: its story. */
export function story(log: readonly Transition[], task: number): Transition[] {
  return log.filter((t) => t.task === task);
}
