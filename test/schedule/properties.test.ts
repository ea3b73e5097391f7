import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Plan } from "../../operator/plan/plan.ts";
import { recover } from "../../operator/schedule/lineage.ts";
import { schedule } from "../../operator/schedule/schedule.ts";
import { observe } from "../../operator/schedule/transitions.ts";
import {
  DELETED,
  DONE,
  initialState,
  PENDING,
  RUNNING,
  type ChainState,
  type Stimulus,
} from "../../operator/schedule/types.ts";
import { chainArb } from "../plan/chains.ts";
import { planOf } from "../plan/helpers.ts";
import { mulberry32 } from "../../scripts/lib/prng.ts";

const deps = (p: Plan, t: number) => p.dag.deps.subarray(p.dag.depStart[t], p.dag.depStart[t + 1]);
const consumers = (p: Plan, t: number) =>
  p.dag.consumers.subarray(p.dag.consumerStart[t], p.dag.consumerStart[t + 1]);

/** The state after running the reference order up to `k` and deleting every tile whose readers all ran. */
function stateAfter(p: Plan, k: number): Uint8Array {
  const tasks = new Uint8Array(p.order.length);
  for (let i = 0; i < k; i++) tasks[p.order[i]!] = DONE;
  for (let t = 0; t < tasks.length; t++) {
    const c = consumers(p, t);
    if (tasks[t] === DONE && c.length > 0 && c.every((x) => tasks[x] === DONE)) tasks[t] = DELETED;
  }
  return tasks;
}

describe("lineage recovery", () => {
  it("recomputes a sufficient and minimal set after any set of lost lanes", () => {
    fc.assert(
      fc.property(
        chainArb,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.array(fc.nat(8)),
        fc.array(fc.nat()),
        ({ spec, sources, lanes }, f, lostList, movedList) => {
          const p = planOf(spec, sources, lanes);
          const tasks = stateAfter(p, Math.floor(f * p.order.length));
          const lost = new Set(lostList.filter((l) => l < lanes));
          // Tiles made by another lane's pod are in shared scratch.
          const moved = new Uint8Array(tasks.length);
          for (const m of movedList) moved[m % tasks.length] = 1;
          const survives = (t: number) =>
            tasks[t] === DONE && !(lost.has(p.lanes.laneOf[t]!) && p.lanes.shared[t] === 0 && moved[t] === 0);
          const { recompute, gone } = recover(p, tasks, lost, moved);
          const willRun = new Uint8Array(tasks.length);
          tasks.forEach((s, t) => (willRun[t] = s === PENDING || s === RUNNING ? 1 : 0));
          for (const t of recompute) {
            expect(survives(t)).toBe(false); // minimal: nothing whose output survives
            expect(willRun[t]).toBe(0);
            willRun[t] = 1;
          }
          // Sufficient: replaying every task that will run finds each input surviving or produced by the replay.
          for (let t = 0; t < tasks.length; t++) {
            if (willRun[t] === 1)
              for (const d of deps(p, t)) expect(survives(d) || willRun[d] === 1).toBe(true);
          }
          // And necessary: every recomputed tile has a reader that will run; lost tiles with none are just gone.
          for (const t of recompute) expect(consumers(p, t).some((c) => willRun[c] === 1)).toBe(true);
          for (const t of gone) expect(consumers(p, t).every((c) => willRun[c] === 0)).toBe(true);
        },
      ),
      { numRuns: 80, seed: 5 },
    );
  });
});

const SHARED = -2;
const NOWHERE = -1;

describe("schedule driven to completion through failures", () => {
  it("starts only ready, readable tasks in topological order, deletes only after the last reader, and completes", () => {
    let movedStarts = 0;
    fc.assert(
      fc.property(
        chainArb,
        fc.integer({ min: 1, max: 8 }),
        fc.nat(),
        ({ spec, sources, lanes }, tasksPerPod, seed) => {
          const withRetries = {
            ...spec,
            execution: { parallelism: lanes, tasksPerPod, retries: { limit: 100, backoffSeconds: 1 } },
          };
          const p = planOf(withRetries, sources);
          const random = mulberry32(seed);
          let state: ChainState = initialState(p.order.length, lanes);
          let now = 0;
          const feed = (s: Stimulus) => (state = observe(p, state, s).state);
          // Where each tile really is, as the workers put it: SHARED, a lane's volume only, or NOWHERE.
          const held = new Int32Array(p.order.length).fill(NOWHERE);
          const finish = (b: { lane: number }, done: readonly number[]) => {
            for (const t of done)
              held[t] = p.lanes.laneOf[t] !== b.lane || p.lanes.shared[t] === 1 ? SHARED : b.lane;
          };
          const running = (b: { tasks: readonly number[] }) =>
            b.tasks.filter((t) => state.tasks[t] === RUNNING);
          for (let step = 0; ; step++) {
            expect(step).toBeLessThan(20_000);
            const actions = schedule(p, state, now);
            expect(actions.some((a) => a.type === "FailChain")).toBe(false);
            for (const a of actions) {
              if (a.type === "DeleteTiles") {
                for (const t of a.tasks)
                  for (const c of consumers(p, t)) expect(state.tasks[c]).toBeGreaterThanOrEqual(DONE);
                for (const t of a.tasks) held[t] = NOWHERE;
                feed({ type: "TilesDeleted", tasks: a.tasks });
              } else if (a.type === "StartBatch") {
                const earlier = new Set<number>();
                for (const t of a.tasks) {
                  expect(state.tasks[t]).toBe(PENDING);
                  for (const d of deps(p, t)) {
                    expect(state.tasks[d] === DONE || earlier.has(d)).toBe(true);
                    // A node reads its own lane's volume, shared scratch, and what its batch made.
                    const readable =
                      earlier.has(d) ||
                      p.lanes.laneOf[d] === a.lane ||
                      p.lanes.shared[d] === 1 ||
                      state.moved[d] === 1;
                    expect(readable).toBe(true);
                    // And the tile is really there for that node.
                    if (!earlier.has(d)) expect([SHARED, a.lane], `task ${t} reads ${d}`).toContain(held[d]);
                  }
                  earlier.add(t);
                }
                if (a.tasks.some((t) => p.lanes.laneOf[t] !== a.lane)) movedStarts++;
                feed({
                  type: "BatchStarted",
                  batch: a.batch,
                  lane: a.lane,
                  attempt: a.attempt,
                  tasks: a.tasks,
                });
              } else if (a.type === "RequeueAfter") {
                now += a.ms;
              }
            }
            if (actions.some((a) => a.type === "Complete")) break;
            const active = state.batches.filter((b) => b.phase === "running");
            if (active.length === 0) continue;
            const b = active[Math.floor(random() * active.length)]!;
            const roll = random();
            if (roll < 0.75) {
              finish(b, running(b));
              feed({ type: "BatchSucceeded", batch: b.id, attempt: b.attempt });
            } else if (roll < 0.95) {
              const finished = b.tasks.slice(0, Math.floor(random() * b.tasks.length));
              finish(
                b,
                finished.filter((t) => state.tasks[t] === RUNNING),
              );
              feed({ type: "TasksSucceeded", batch: b.id, attempt: b.attempt, tasks: finished });
              const reason = roll < 0.85 ? "error" : "evicted";
              feed({
                type: "BatchFailed",
                batch: b.id,
                attempt: b.attempt,
                reason,
                at: now,
                message: "boom",
              });
            } else {
              for (let t = 0; t < held.length; t++) if (held[t] === b.lane) held[t] = NOWHERE;
              for (const other of active.filter((r) => r.lane === b.lane)) {
                feed({
                  type: "BatchFailed",
                  batch: other.id,
                  attempt: other.attempt,
                  reason: "node-lost",
                  at: now,
                  message: "node lost",
                });
              }
              feed({ type: "LaneLost", lane: b.lane });
            }
          }
          p.stages.forEach((s, i) => {
            if (s.kind === "assemble") expect(state.tasks[p.dag.stageStart[i]!]).toBe(DONE);
          });
        },
      ),
      { numRuns: 40, seed: 9 },
    );
    // Idle lanes took work from loaded ones, and batches pushed tiles into other lanes' stages.
    expect(movedStarts).toBeGreaterThan(0);
  });
});
