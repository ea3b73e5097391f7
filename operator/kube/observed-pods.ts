/**
 * What a chain's pods say about its batches, as scheduler stimuli: the pure half of a reconcile's
 * observation. Pods are raw API objects (as the reflector stores them); each carries its batch, attempt,
 * lane and task list, so the scheduler's state can be rebuilt from the status plus the pods found, with no
 * memory of earlier reconciles.
 */
import type { Plan } from "../plan/plan.ts";
import { LOST_INPUT_EXIT, lostInputOf } from "../../worker/run/task-error.ts";
import { observe } from "../schedule/transitions.ts";
import { DONE, PENDING, type ChainState, type FailureReason, type Stimulus } from "../schedule/types.ts";
import { ANNOTATION, LABEL, parseTaskList } from "./meta.ts";

/** The fields of a worker pod the controller reads (timestamps are strings, as the API sends them). */
export interface PodObject {
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly uid?: string;
    readonly resourceVersion?: string;
    readonly creationTimestamp?: string;
    readonly deletionTimestamp?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
  readonly spec?: { readonly nodeName?: string };
  readonly status?: {
    readonly phase?: string;
    readonly reason?: string;
    readonly message?: string;
    readonly containerStatuses?: readonly {
      readonly state?: {
        readonly terminated?: {
          readonly exitCode?: number;
          readonly reason?: string;
          readonly message?: string;
          readonly finishedAt?: string;
        };
      };
    }[];
  };
}

export type PodEnd =
  | { readonly kind: "running" }
  | { readonly kind: "succeeded" }
  | { readonly kind: "failed"; readonly reason: FailureReason; readonly at: number };

/** A pod as a batch attempt: where it runs and how it ended (null while it runs or waits). */
export interface PodBatch {
  readonly pod: string;
  readonly batch: string;
  readonly lane: number;
  readonly attempt: number;
  readonly tasks: readonly number[];
  readonly node: string | null;
  readonly end: PodEnd;
  readonly exitCode: number | null;
  /** When the operator made it, and its place among the pods of that reconcile: the replay order. */
  readonly created: readonly [number, number];
}

/** The batch a pod ran, or null for a pod without the labels and annotation of one (not ours to read). */
export function podBatch(pod: PodObject): PodBatch | null {
  const labels = pod.metadata?.labels ?? {};
  const tasks = pod.metadata?.annotations?.[ANNOTATION.tasks];
  const batch = labels[LABEL.batch];
  const lane = Number(labels[LABEL.lane]);
  const attempt = Number(labels[LABEL.attempt]);
  if (!batch || tasks === undefined || !Number.isInteger(lane) || !Number.isInteger(attempt)) return null;
  let list: number[];
  try {
    list = parseTaskList(tasks);
  } catch {
    return null;
  }
  const terminated = pod.status?.containerStatuses?.[0]?.state?.terminated;
  const exitCode = terminated?.exitCode ?? null;
  const phase = pod.status?.phase;
  const at = Date.parse(terminated?.finishedAt ?? pod.metadata?.creationTimestamp ?? "") || 0;
  const end: PodEnd =
    phase === "Succeeded"
      ? { kind: "succeeded" }
      : phase === "Failed"
        ? { kind: "failed", reason: failureReason(pod, exitCode), at }
        : { kind: "running" };
  return {
    pod: pod.metadata?.name ?? "",
    batch,
    lane,
    attempt,
    tasks: list,
    node: pod.spec?.nodeName ?? null,
    end,
    exitCode,
    created: createdOf(pod),
  };
}

export const CREATED_ANNOTATION = "imagechain.io/created";

/**
 * The operator's own record of when it made a pod (`<ms since epoch>.<index in that reconcile>`), else the
 * API's creation time. The order matters: a batch that takes tasks a failed batch gave back must be replayed
 * after that failure, and creation timestamps have whole seconds only.
 */
function createdOf(pod: PodObject): [number, number] {
  const m = /^(\d+)\.(\d+)$/.exec(pod.metadata?.annotations?.[CREATED_ANNOTATION] ?? "");
  if (m) return [Number(m[1]), Number(m[2])];
  return [Date.parse(pod.metadata?.creationTimestamp ?? "") || 0, 0];
}

/**
 * The worker's exit code says whether a failure is the input's fault (2) or a lost input tile's (3: its
 * producer runs again, not counted); an eviction is not a failure.
 */
export function failureReason(pod: PodObject, exitCode: number | null): FailureReason {
  if (pod.status?.reason === "Evicted") return "evicted";
  if (exitCode === LOST_INPUT_EXIT) return "input-lost";
  return exitCode === 2 ? "permanent" : "error";
}

/**
 * Replays the pods, oldest first, onto the state rebuilt from the status: each pod starts its batch with
 * the tasks of its list still PENDING (the status may already record some as done, and a retry elsewhere
 * may have taken others), then ends as it ended. `messages` gives a failed pod's cause by pod name.
 */
export function observePods(
  plan: Plan,
  state: ChainState,
  pods: readonly PodBatch[],
  messages: ReadonlyMap<string, string> = new Map(),
): ChainState {
  const ordered = [...pods].sort(
    (a, b) =>
      a.created[0] - b.created[0] ||
      a.created[1] - b.created[1] ||
      seqOf(a.batch) - seqOf(b.batch) ||
      a.attempt - b.attempt,
  );
  let s = state;
  for (const p of ordered) {
    const pending = p.tasks.filter((t) => s.tasks[t] === PENDING);
    const ref = { batch: p.batch, attempt: p.attempt };
    const stimuli: Stimulus[] = [{ type: "BatchStarted", lane: p.lane, tasks: pending, ...ref }];
    if (p.end.kind === "succeeded") stimuli.push({ type: "BatchSucceeded", ...ref });
    else if (p.end.kind === "failed") {
      const message = messages.get(p.pod) ?? `pod ${p.pod} failed (exit code ${p.exitCode ?? "none"})`;
      stimuli.push({ type: "BatchFailed", reason: p.end.reason, at: p.end.at, message, ...ref });
      const lost = p.end.reason === "input-lost" ? lostInputOf(message) : null;
      if (lost !== null) stimuli.push({ type: "TilesLost", tasks: [lost] });
    }
    s = observe(plan, s, stimuli).state;
  }
  return s;
}

/** A finished pod may go once the status as read records every task it ran and its batch number. */
export function recorded(state: ChainState, p: PodBatch): boolean {
  // A retry may run on another lane's node: the batch number belongs to the lane in the batch id.
  const lane = Number(/^l(\d+)-/.exec(p.batch)?.[1] ?? p.lane);
  return (
    p.end.kind === "succeeded" &&
    p.tasks.every((t) => state.tasks[t]! >= DONE) &&
    (state.nextBatch[lane] ?? 0) > seqOf(p.batch)
  );
}

function seqOf(batch: string): number {
  return Number(/-b(\d+)$/.exec(batch)?.[1] ?? -1);
}
