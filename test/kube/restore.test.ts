import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lanesFromStatus, stateFromStatus } from "../../operator/kube/restore.ts";
import { chainStatus, type ChainStatus, type LaneRecord } from "../../operator/kube/status.ts";
import type { Plan } from "../../operator/plan/plan.ts";
import { observe } from "../../operator/schedule/transitions.ts";
import { DELETED, DONE, PENDING, type ChainState } from "../../operator/schedule/types.ts";
import { chainArb } from "../plan/chains.ts";
import { planOf } from "../plan/helpers.ts";
import { smallPlan } from "../schedule/fixtures.ts";
import { drive } from "./drive.ts";

const records = (n: number, seed: number): LaneRecord[] =>
  Array.from({ length: n }, (_, i) => ({
    node: (i + seed) % 3 === 0 ? null : `node-${(i * seed) % 5}`,
    volume: (i * seed) % 2,
  }));

/** The status as the API server hands it back: JSON. */
function written(plan: Plan, state: ChainState, lanes: LaneRecord[]): ChainStatus {
  const status = chainStatus({ generation: 1, plan, state, lanes, suspend: false, now: 0 });
  return JSON.parse(JSON.stringify(status)) as ChainStatus;
}

function restored(plan: Plan, status: ChainStatus): ChainState {
  const r = stateFromStatus(plan, status);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value;
}

const consumersOf = (p: Plan, t: number) =>
  p.dag.consumers.subarray(p.dag.consumerStart[t], p.dag.consumerStart[t + 1]);

describe("state from status", () => {
  it("after any run, restores done tiles, never trusts a deleted one, and resumes to completion without reusing a pod name", () => {
    fc.assert(
      fc.property(
        chainArb,
        fc.integer({ min: 1, max: 8 }),
        fc.nat(),
        fc.nat(60),
        ({ spec, sources, lanes }, tasksPerPod, seed, stop) => {
          const p = planOf(
            {
              ...spec,
              execution: { parallelism: lanes, tasksPerPod, retries: { limit: 100, backoffSeconds: 1 } },
            },
            sources,
          );
          const run = drive(p, seed, stop);
          const before = run.state;
          const lanesBefore = records(lanes, seed);
          const status = written(p, before, lanesBefore);
          const after = restored(p, status);

          for (let t = 0; t < before.tasks.length; t++) {
            const was = before.tasks[t]!;
            const now = after.tasks[t]!;
            if (was < DONE) expect(now).toBe(PENDING);
            else if (was === DELETED)
              expect(now).toBe(DELETED); // gone stays gone: lineage recomputes it if needed
            else {
              const readers = consumersOf(p, t);
              const allRead = readers.length > 0 && readers.every((c) => before.tasks[c]! >= DONE);
              expect(now).toBe(allRead ? DELETED : DONE);
            }
          }
          expect(after.nextBatch).toEqual(before.nextBatch);
          expect(after.batches).toEqual([]);
          expect(after.failure).toBeNull();
          // The same status again: the done bitmaps and lanes carry over unchanged.
          const again = written(p, after, lanesBefore);
          expect(again.stages).toEqual(status.stages);
          expect(again.lanes.batches).toBe(status.lanes.batches);
          expect(lanesFromStatus(lanes, status)).toEqual({ ok: true, value: lanesBefore });

          // Running pods are found again and recovered with their tasks not yet done; then the chain finishes.
          let state = after;
          for (const b of before.batches.filter((x) => x.phase === "running")) {
            const tasks = b.tasks.filter((t) => state.tasks[t] === PENDING);
            if (tasks.length)
              state = observe(p, state, {
                type: "BatchStarted",
                batch: b.id,
                lane: b.lane,
                attempt: b.attempt,
                tasks,
              }).state;
          }
          const resumed = drive(p, seed + 1, 20_000, { ...run, state });
          expect(resumed.complete).toBe(true);
        },
      ),
      { numRuns: 60, seed: 21 },
    );
  });

  it("starts fresh when nothing was written yet", () => {
    const p = smallPlan();
    const s = restored(p, {} as ChainStatus);
    expect([...s.tasks]).toEqual(new Array(s.tasks.length).fill(PENDING));
    expect(s.nextBatch).toEqual([0, 0]);
  });

  it("keeps a failure", () => {
    const p = smallPlan();
    const state = { ...drive(p, 1, 3).state, failure: "batch l0-b1 failed permanently: bad band 7" };
    const s = restored(p, written(p, state, records(2, 1)));
    expect(s.failure).toBe("batch l0-b1 failed permanently: bad band 7");
  });

  it.each<[string, (s: ChainStatus) => unknown, RegExp]>([
    [
      "another lane count",
      (s) => ({ ...s, lanes: { ...s.lanes, count: 3 } }),
      /status.lanes.count: 3 lanes recorded, the plan has 2/,
    ],
    ["a stage missing", (s) => ({ ...s, stages: s.stages.slice(1) }), /status.stages:/],
    [
      "another stage",
      (s) => ({ ...s, stages: s.stages.map((x, i) => (i === 0 ? { ...x, tiles: 5 } : x)) }),
      /status.stages\[0\]: stage .* of 5 tiles/,
    ],
    [
      "a broken bitmap",
      (s) => ({ ...s, stages: s.stages.map((x) => ({ ...x, done: "zz" })) }),
      /status.stages\[0\].done/,
    ],
    [
      "broken batch numbers",
      (s) => ({ ...s, lanes: { ...s.lanes, batches: "1,x" } }),
      /status.lanes.batches/,
    ],
  ])("says what does not fit the plan: %s", (_, edit, message) => {
    const p = smallPlan();
    const status = edit(written(p, drive(p, 2, 4).state, records(2, 2))) as ChainStatus;
    const r = stateFromStatus(p, status);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => `${i.path}: ${i.message}`).join("\n")).toMatch(message);
  });

  it("lanes: fresh when none recorded, an issue when they do not decode", () => {
    expect(lanesFromStatus(2, undefined)).toEqual({
      ok: true,
      value: [
        { node: null, volume: 0 },
        { node: null, volume: 0 },
      ],
    });
    const p = smallPlan();
    const status = written(p, drive(p, 3, 2).state, records(2, 3));
    const r = lanesFromStatus(2, { ...status, lanes: { ...status.lanes, volumes: "0" } });
    expect(r.ok).toBe(false);
  });
});
