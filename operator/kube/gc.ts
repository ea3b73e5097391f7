/**
 * Garbage collection decisions, pure: which lane volumes may go, which failed pods have been kept long
 * enough for their logs, and the chain's scratch finalizer. Deciding from the scheduler's state keeps the
 * rule one place: a lane's volume goes only when nothing will run on it or read from it again.
 */
import type { Plan } from "../plan/plan.ts";
import { DONE, type ChainState } from "../schedule/types.ts";
import type { PodBatch } from "./observed-pods.ts";

/** On the chain while its S3 shared scratch may hold objects: deleting the chain waits for it to be emptied. */
export const SCRATCH_FINALIZER = "imagechain.io/scratch";

/** How long a deleted chain waits for S3 (and its pods) before its finalizer goes anyway. */
export const SCRATCH_GIVE_UP_MS = 10 * 60 * 1000;

/**
 * Lanes whose volume nothing needs any more: every task of the lane done (or its tile deleted), every
 * consumer of those tiles done, no batch of the lane running or waiting to retry, and no pod of the lane
 * still running or waiting (a pod's volume is its own lane's, whatever tasks it ran).
 */
export function finishedLanes(plan: Plan, state: ChainState, pods: readonly PodBatch[]): Set<number> {
  const { laneOf } = plan.lanes;
  const { consumerStart, consumers } = plan.dag;
  const busy = new Uint8Array(plan.lanes.count);
  for (let t = 0; t < laneOf.length; t++) {
    const lane = laneOf[t]!;
    if (busy[lane]) continue;
    if (state.tasks[t]! < DONE) busy[lane] = 1;
    for (let e = consumerStart[t]!; e < consumerStart[t + 1]! && !busy[lane]; e++)
      if (state.tasks[consumers[e]!]! < DONE) busy[lane] = 1;
  }
  for (const b of state.batches) busy[b.lane] = 1;
  for (const p of pods) if (p.end.kind === "running" && p.lane < busy.length) busy[p.lane] = 1;
  const done = new Set<number>();
  for (let lane = 0; lane < busy.length; lane++) if (!busy[lane]) done.add(lane);
  return done;
}

/** Lanes with a pod still running or waiting: their volumes stay, whatever else holds. */
export function lanesInUse(pods: readonly PodBatch[]): Set<number> {
  return new Set(pods.filter((p) => p.end.kind === "running").map((p) => p.lane));
}

export interface FailedPodsDue {
  /** Failed pods kept `ttlSecondsAfterFinished` since they ended: delete them. */
  readonly expired: readonly string[];
  /** When the next kept one expires, from `now`; undefined when none is waiting. */
  readonly nextInMs: number | undefined;
}

/**
 * Failed pods past their time to live. While the chain runs, a failed pod is the only record of its
 * failure (counted toward the retry limit), so it goes only once the status (`recordedState`) has every
 * task it ran done by a later attempt; once the chain is finished (`recordedState` null) nothing counts.
 */
export function failedPodsDue(
  pods: readonly PodBatch[],
  ttlSeconds: number,
  now: number,
  recordedState: ChainState | null,
): FailedPodsDue {
  const expired: string[] = [];
  let next: number | undefined;
  for (const p of pods) {
    if (p.end.kind !== "failed") continue;
    if (recordedState && !p.tasks.every((t) => recordedState.tasks[t]! >= DONE)) continue;
    const left = p.end.at + ttlSeconds * 1000 - now;
    if (left <= 0) expired.push(p.pod);
    else next = Math.min(next ?? left, left);
  }
  return { expired, nextInMs: next };
}

/** The earlier of two optional delays. */
export function sooner(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}
