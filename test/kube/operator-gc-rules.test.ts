/**
 * The collection rules, pure: a lane found finished is never again used by a batch, over random scheduler
 * runs with failures, evictions and lost nodes; failed pods go after their time to live, and while the chain
 * runs only once the status has their tasks done.
 */
import { describe, expect, it } from "vitest";
import { failedPodsDue, finishedLanes } from "../../operator/kube/gc.ts";
import type { PodBatch } from "../../operator/kube/observed-pods.ts";
import { DONE, initialState } from "../../operator/schedule/types.ts";
import { smallPlan } from "../schedule/fixtures.ts";
import { drive } from "./drive.ts";

const pod = (name: string, lane: number, end: PodBatch["end"], tasks: number[] = [0]): PodBatch => ({
  pod: name,
  batch: `l${lane}-b0`,
  lane,
  attempt: 1,
  tasks,
  node: null,
  end,
  exitCode: end.kind === "failed" ? 1 : null,
  created: [0, 0],
});

describe("garbage collection rules", () => {
  it("a lane found finished is never used by a later batch, and every lane is finished at the end", () => {
    // Errors are injected at random (15 % of events): enough retries that no batch runs out of them.
    const plan = smallPlan({ parallelism: 3, retries: { limit: 100, backoffSeconds: 10 } });
    let finishedSeen = 0;
    for (let seed = 1; seed <= 40; seed++) {
      let run = drive(plan, seed, 1);
      const finished = new Set<number>();
      while (!run.complete) {
        for (const lane of finishedLanes(plan, run.state, [])) finished.add(lane);
        run = drive(plan, seed * 7919 + run.pods.size, 1, run);
        for (const b of run.state.batches)
          expect(finished.has(b.lane), `seed ${seed}: batch ${b.id} on finished lane ${b.lane}`).toBe(false);
      }
      finishedSeen += finished.size;
      expect([...finishedLanes(plan, run.state, [])].sort()).toEqual([0, 1, 2]);
    }
    expect(finishedSeen).toBeGreaterThan(0);
  });

  it("keeps a lane's volume while a pod of the lane runs, or while a task of it or a reader is not done", () => {
    const plan = smallPlan();
    const all = initialState(plan.lanes.laneOf.length, plan.lanes.count);
    const done = { ...all, tasks: new Uint8Array(all.tasks.length).fill(DONE) };
    expect([...finishedLanes(plan, done, [])]).toEqual([0, 1]);
    expect([...finishedLanes(plan, done, [pod("p", 1, { kind: "running" })])]).toEqual([0]);
    expect([...finishedLanes(plan, done, [pod("p", 1, { kind: "succeeded" })])]).toEqual([0, 1]);
    // The last task of lane 0 pending keeps lane 0's volume, and lane 1's when it reads a tile of lane 1.
    const last = plan.lanes.laneOf.lastIndexOf(0);
    const tasks = done.tasks.slice();
    tasks[last] = 0;
    const { consumerStart, consumers, depStart, deps } = plan.dag;
    const readsLane1 = [...deps.subarray(depStart[last], depStart[last + 1])].some(
      (d) => plan.lanes.laneOf[d] === 1,
    );
    expect(readsLane1).toBe(true);
    expect([...finishedLanes(plan, { ...done, tasks }, [])]).toEqual([]);
    // A task of lane 1 whose every reader is in lane 1: pending, it keeps lane 1's volume only.
    const own = plan.lanes.laneOf.findIndex(
      (l, t) =>
        l === 1 &&
        consumerStart[t + 1]! > consumerStart[t]! &&
        [...consumers.subarray(consumerStart[t], consumerStart[t + 1])].every(
          (c) => plan.lanes.laneOf[c] === 1,
        ) &&
        [...deps.subarray(depStart[t], depStart[t + 1])].every((d) => plan.lanes.laneOf[d] === 1),
    );
    const alone = done.tasks.slice();
    alone[own] = 0;
    expect([...finishedLanes(plan, { ...done, tasks: alone }, [])]).toEqual([0]);
  });

  it("deletes a failed pod after its time to live, and while the chain runs only when a retry did its tasks", () => {
    const failed = (name: string, at: number, tasks: number[]) =>
      pod(name, 0, { kind: "failed", reason: "error", at }, tasks);
    const pods = [failed("old", 1_000, [0]), failed("new", 9_000, [0]), failed("unretried", 1_000, [1])];
    const state = initialState(4, 1);
    state.tasks[0] = DONE;
    expect(failedPodsDue(pods, 5, 10_000, null)).toEqual({ expired: ["old", "unretried"], nextInMs: 4_000 });
    expect(failedPodsDue(pods, 5, 10_000, state)).toEqual({ expired: ["old"], nextInMs: 4_000 });
    expect(failedPodsDue(pods, 0, 10_000, null).expired).toHaveLength(3);
  });
});
