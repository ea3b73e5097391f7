import type { Plan } from "../plan/plan.ts";
import { progressStatus, type ProgressStatus } from "../schedule/progress.ts";
import { DONE, type ChainState } from "../schedule/types.ts";
import {
  conditions,
  rfc3339,
  type Condition,
  type ConditionType,
  type ConditionValue,
} from "./conditions.ts";
import { packNodes, packNumbers } from "./lane-encoding.ts";

/**
 * The ImageChain's status: what people, GitOps tools and a restarted operator read. It stays small at
 * any size of chain (per stage a count and a compact done bitmap; per lane a letter and a few runs) and
 * holds everything a restarted operator cannot find on the cluster: which tiles are done, where each
 * lane's data is, and the next batch number of each lane (pod names must never be reused).
 */
export type Phase = "Pending" | "Running" | "Succeeded" | "Failed" | "Suspended";

/** One letter per lane: R a pod runs, B a failed batch waits to retry, W work left and no pod, D done. */
export const LANE_PHASES = { running: "R", retrying: "B", waiting: "W", done: "D" } as const;

export interface LanesStatus {
  readonly count: number;
  /** One LANE_PHASES letter per lane: lane i is `phases[i]`. */
  readonly phases: string;
  /** The `kubernetes.io/hostname` of each lane's node ("" while unknown), as runs, deflated, base64url. */
  readonly nodes: string;
  /** The generation of each lane's volume, as runs ("0*999,1"): it goes up when a lane loses its node. */
  readonly volumes: string;
  /** The sequence number of each lane's next new batch, as runs. */
  readonly batches: string;
}

export interface OutputStatus {
  readonly uri: string;
  readonly bytes: number;
}

export interface ChainStatus extends ProgressStatus {
  readonly observedGeneration: number;
  readonly phase: Phase;
  readonly conditions: readonly Condition[];
  readonly tiles: ProgressStatus["tiles"] & { readonly failed: number };
  readonly lanes: LanesStatus;
  readonly startTime?: string;
  readonly completionTime?: string;
  readonly outputs?: readonly OutputStatus[];
}

/** What the controller knows of a lane beyond the scheduler's state. */
export interface LaneRecord {
  readonly node: string | null;
  readonly volume: number;
}

export interface Failure {
  /** CamelCase, for the Failed and Stalled conditions: InvalidSpec, PermanentError, RetriesExhausted… */
  readonly reason: string;
  readonly message: string;
}

export interface StatusInput {
  readonly generation: number;
  readonly plan: Plan;
  readonly state: ChainState;
  /** One per lane of the plan. */
  readonly lanes: readonly LaneRecord[];
  /** The live `spec.suspend`. */
  readonly suspend: boolean;
  readonly now: number;
  /** The status as last written: conditions keep their transition times, times and outputs carry over. */
  readonly previous?: Partial<Pick<ChainStatus, "conditions" | "startTime" | "completionTime" | "outputs">>;
  /** The outputs written so far, when the controller has looked them up; default: the previous ones. */
  readonly outputs?: readonly OutputStatus[];
  /** Why the chain failed, with a reason; default: the scheduler's failure, as BatchFailed. */
  readonly failure?: Failure | null;
}

export function chainStatus(input: StatusInput): ChainStatus {
  const { plan, state, generation, previous } = input;
  if (input.lanes.length !== plan.lanes.count)
    throw new RangeError(`status needs ${plan.lanes.count} lane records, got ${input.lanes.length}`);
  const progress = progressStatus(plan.stages, plan.dag.stageStart, state.tasks);
  const failure =
    input.failure ?? (state.failure === null ? null : { reason: "BatchFailed", message: state.failure });
  const running = state.batches.filter((b) => b.phase === "running").length;
  const phase = phaseOf(plan, state, failure, input.suspend);
  const now = rfc3339(input.now);
  const started = state.batches.length > 0 || progress.tiles.succeeded > 0;
  const finished = phase === "Succeeded" || phase === "Failed";
  const startTime = previous?.startTime ?? (started ? now : undefined);
  const completionTime = finished ? (previous?.completionTime ?? now) : undefined;
  const outputs = input.outputs ?? previous?.outputs;
  return {
    observedGeneration: generation,
    phase,
    conditions: conditions(
      conditionValues(phase, progress, failure, running),
      generation,
      now,
      previous?.conditions,
    ),
    ...progress,
    tiles: { ...progress.tiles, failed: failedTiles(state) },
    lanes: lanesStatus(plan, state, input.lanes),
    ...(startTime ? { startTime } : {}),
    ...(completionTime ? { completionTime } : {}),
    ...(outputs ? { outputs } : {}),
  };
}

/** A spec that failed validation: nothing is planned or launched, and the message names the field. */
export function invalidSpecStatus(
  generation: number,
  message: string,
  now: number,
  previous?: readonly Condition[],
): Pick<ChainStatus, "observedGeneration" | "phase" | "conditions"> {
  const failure = { reason: "InvalidSpec", message };
  const values = conditionValues("Failed", null, failure, 0);
  return {
    observedGeneration: generation,
    phase: "Failed",
    conditions: conditions(values, generation, rfc3339(now), previous),
  };
}

/**
 * A status this operator cannot continue from (written by another version, or edited): everything in it
 * stays as it is for whoever can, and the conditions say so — kstatus Stalled, not a retry loop.
 */
export function stalledStatus(
  previous: Record<string, unknown> & { conditions?: readonly Condition[] },
  generation: number,
  message: string,
  now: number,
): Record<string, unknown> {
  const no = (reason: string): ConditionValue => ({ status: "False", reason, message: "" });
  const reason = "StatusMismatch";
  const values: Record<ConditionType, ConditionValue> = {
    Ready: { status: "False", reason, message },
    Reconciling: no(reason),
    Stalled: { status: "True", reason, message },
    Complete: no(reason),
    Failed: no(reason),
    Suspended: no(reason),
  };
  return { ...previous, conditions: conditions(values, generation, rfc3339(now), previous.conditions) };
}

export function phaseOf(plan: Plan, state: ChainState, failure: Failure | null, suspend: boolean): Phase {
  if (failure !== null) return "Failed";
  if (complete(plan, state.tasks)) return "Succeeded";
  if (suspend) return "Suspended";
  return state.batches.length > 0 || state.tasks.some((s) => s >= DONE) ? "Running" : "Pending";
}

/** Done when every assembly (the tasks that write the outputs) is: the scheduler's own test. */
export function complete(plan: Plan, tasks: Uint8Array): boolean {
  return plan.stages.every((s, i) => s.kind !== "assemble" || tasks[plan.dag.stageStart[i]!]! >= DONE);
}

function conditionValues(
  phase: Phase,
  progress: ProgressStatus | null,
  failure: Failure | null,
  running: number,
): Record<ConditionType, ConditionValue> {
  const no = (reason: string, message = ""): ConditionValue => ({ status: "False", reason, message });
  const yes = (reason: string, message: string): ConditionValue => ({ status: "True", reason, message });
  const done = progress ? `${progress.progress} tiles done` : "";
  const base: Record<ConditionType, ConditionValue> = {
    Ready: no(phase, done),
    Reconciling: no(phase),
    Stalled: no(phase),
    Complete: no(phase),
    Failed: no(phase),
    Suspended: no(phase),
  };
  switch (phase) {
    case "Pending":
      return { ...base, Reconciling: yes("Pending", "waiting for the first batch to start") };
    case "Running":
      return { ...base, Reconciling: yes("Running", `${done}, ${progress!.tiles.running} running`) };
    case "Suspended":
      return {
        ...base,
        // kstatus: still in progress while started batches finish, then current (and suspended).
        Reconciling:
          running > 0 ? yes("Draining", `${running} batches finishing, no new ones`) : base.Reconciling,
        Suspended: yes("Suspended", `spec.suspend is true: no new pods; ${done}`),
      };
    case "Succeeded":
      return {
        ...base,
        Ready: yes("Succeeded", done),
        Complete: yes("Succeeded", `every output is written; ${done}`),
      };
    case "Failed":
      return {
        ...base,
        Ready: no(failure!.reason, failure!.message),
        Stalled: yes(failure!.reason, failure!.message),
        Failed: yes(failure!.reason, failure!.message),
      };
  }
}

/** Tasks that failed at least once and wait for their batch's retry. */
function failedTiles(state: ChainState): number {
  const waiting = new Set<number>();
  for (const b of state.batches)
    if (b.phase === "backoff") for (const t of b.tasks) if (state.tasks[t]! < DONE) waiting.add(t);
  return waiting.size;
}

export function lanesStatus(plan: Plan, state: ChainState, lanes: readonly LaneRecord[]): LanesStatus {
  const count = plan.lanes.count;
  const left = new Uint32Array(count);
  const { laneOf } = plan.lanes;
  for (let t = 0; t < state.tasks.length; t++) if (state.tasks[t]! < DONE) left[laneOf[t]!]!++;
  const running = new Uint8Array(count);
  const retrying = new Uint8Array(count);
  for (const b of state.batches) (b.phase === "running" ? running : retrying)[b.lane] = 1;
  let phases = "";
  for (let l = 0; l < count; l++) {
    phases +=
      running[l] === 1
        ? LANE_PHASES.running
        : retrying[l] === 1
          ? LANE_PHASES.retrying
          : left[l]! > 0
            ? LANE_PHASES.waiting
            : LANE_PHASES.done;
  }
  return {
    count,
    phases,
    nodes: packNodes(lanes.map((l) => l.node)),
    volumes: packNumbers(lanes.map((l) => l.volume)),
    batches: packNumbers(state.nextBatch),
  };
}
