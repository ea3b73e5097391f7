import { describe, expect, it } from "vitest";
import { MAX_BACKOFF_MS, retryDelayMs } from "../../operator/schedule/backoff.ts";
import { schedule } from "../../operator/schedule/schedule.ts";
import { story } from "../../operator/schedule/transitions.ts";
import { observe } from "../../operator/schedule/transitions.ts";
import { DELETED, DONE, initialState, PENDING, RUNNING, type Action } from "../../operator/schedule/types.ts";
import { apply, smallPlan, started } from "./fixtures.ts";

const T0 = Date.UTC(2026, 0, 1);
const starts = (actions: readonly Action[]) => actions.filter((a) => a.type === "StartBatch");

describe("retryDelayMs", () => {
  it.each([
    [1, 10, 10_000],
    [2, 10, 20_000],
    [3, 10, 40_000],
    [6, 10, 320_000],
    [7, 10, MAX_BACKOFF_MS],
    [60, 10, MAX_BACKOFF_MS],
    [0, 10, 0],
  ])("after %i failures with base %is waits %ims", (failures, base, ms) =>
    expect(retryDelayMs(failures, base)).toBe(ms),
  );
});

describe("schedule", () => {
  it("starts one depth-first batch per lane, up to parallelism", () => {
    const plan = smallPlan();
    const actions = schedule(plan, initialState(20, 2), T0);
    const batches = starts(actions);
    expect(batches.map((b) => [b.batch, b.lane, b.attempt])).toEqual([
      ["l0-b0", 0, 1],
      ["l1-b0", 1, 1],
    ]);
    // Only the 4 NDVI tiles of each lane are ready: the box needs a neighbour of the other lane.
    for (const b of batches)
      expect(b.tasks.every((t) => t < 8 && plan.lanes.laneOf[t] === b.lane)).toBe(true);
  });

  it("pushes a tile down the stages inside one batch when its inputs allow", () => {
    const plan = smallPlan({ parallelism: 1, tasksPerPod: 20 });
    const [batch] = starts(schedule(plan, initialState(20, 1), T0));
    // One lane: the whole chain fits in one batch, in an order where every input precedes its reader.
    expect(batch!.tasks).toHaveLength(20);
    const position = new Map(batch!.tasks.map((t, i) => [t, i]));
    for (const t of batch!.tasks) {
      for (let e = plan.dag.depStart[t]!; e < plan.dag.depStart[t + 1]!; e++) {
        expect(position.get(plan.dag.deps[e]!)).toBeLessThan(position.get(t)!);
      }
    }
    // Depth first: the first box tile runs before the last NDVI tile.
    const firstSmooth = batch!.tasks.findIndex((t) => t >= 8);
    const lastNdvi = Math.max(...batch!.tasks.map((t, i) => (t < 8 ? i : -1)));
    expect(firstSmooth).toBeLessThan(lastNdvi);
  });

  it("records success, deletes a tile after its last reader, and completes", () => {
    const plan = smallPlan({ parallelism: 1, tasksPerPod: 20 });
    let state = initialState(20, 1);
    const [batch] = starts(schedule(plan, state, T0));
    state = apply(plan, state, ...started([batch!]));
    expect([...state.tasks].every((s) => s === RUNNING)).toBe(true);
    state = apply(plan, state, {
      type: "TasksSucceeded",
      batch: "l0-b0",
      attempt: 1,
      tasks: batch!.tasks.slice(0, 8),
    });
    expect(schedule(plan, state, T0).filter((a) => a.type === "DeleteTiles")).toEqual([]);
    state = apply(plan, state, { type: "BatchSucceeded", batch: "l0-b0", attempt: 1 });
    const actions = schedule(plan, state, T0);
    expect(actions.at(-1)).toEqual({ type: "Complete" });
    const deleted = actions.flatMap((a) => (a.type === "DeleteTiles" ? a.tasks : []));
    expect(deleted).toHaveLength(19); // everything but the assembly's output, the COG itself
    state = apply(plan, state, { type: "TilesDeleted", tasks: deleted });
    expect(state.tasks.filter((s) => s === DELETED)).toHaveLength(19);
  });

  it("backs off after an error, then retries the same batch, now its failing task, with the next attempt", () => {
    const plan = smallPlan({ parallelism: 1 });
    let state = initialState(20, 1);
    const [batch] = starts(schedule(plan, state, T0));
    const [first, culprit, ...rest] = batch!.tasks;
    state = apply(
      plan,
      state,
      ...started([batch!]),
      { type: "TasksSucceeded", batch: batch!.batch, attempt: 1, tasks: [first!] },
      { type: "BatchFailed", batch: batch!.batch, attempt: 1, reason: "error", at: T0, message: "exit 1" },
    );
    expect([culprit, ...rest].every((t) => state.tasks[t!] === PENDING)).toBe(true);
    // Meanwhile the innocent tasks may start in a new batch, not the culprit; look again in 6 s.
    const early = schedule(plan, state, T0 + 4_000);
    expect(early.at(-1)).toEqual({ type: "RequeueAfter", ms: 6_000 });
    expect(starts(early).flatMap((a) => a.tasks)).toEqual(expect.arrayContaining(rest));
    for (const a of starts(early)) expect(a.tasks).not.toContain(culprit);
    expect(starts(schedule(plan, state, T0 + 10_000))[0]).toEqual({
      type: "StartBatch",
      batch: batch!.batch,
      lane: 0,
      attempt: 2,
      tasks: [culprit],
    });
  });

  it("does not count evictions and node losses, retries them at once", () => {
    const plan = smallPlan({ parallelism: 1, retries: { limit: 1 } });
    let state = initialState(20, 1);
    const [batch] = starts(schedule(plan, state, T0));
    for (let attempt = 1; attempt <= 5; attempt++) {
      state = apply(
        plan,
        state,
        { type: "BatchStarted", batch: batch!.batch, lane: 0, attempt, tasks: batch!.tasks },
        {
          type: "BatchFailed",
          batch: batch!.batch,
          attempt,
          reason: attempt % 2 ? "evicted" : "node-lost",
          at: T0,
          message: "gone",
        },
      );
      expect(starts(schedule(plan, state, T0))[0]).toMatchObject({
        batch: batch!.batch,
        attempt: attempt + 1,
      });
    }
    expect(state.failure).toBeNull();
  });

  it("fails the chain once the limit of counted failures is passed", () => {
    const plan = smallPlan({ parallelism: 1, retries: { limit: 1, backoffSeconds: 1 } });
    let state = initialState(20, 1);
    const [batch] = starts(schedule(plan, state, T0));
    const fail = (attempt: number) =>
      ({
        type: "BatchFailed",
        batch: batch!.batch,
        attempt,
        reason: "error",
        at: T0,
        message: "exit 1",
      }) as const;
    state = apply(plan, state, ...started([batch!]), fail(1));
    expect(state.failure).toBeNull();
    state = apply(
      plan,
      state,
      { type: "BatchStarted", batch: batch!.batch, lane: 0, attempt: 2, tasks: batch!.tasks },
      fail(2),
    );
    expect(schedule(plan, state, T0)).toEqual([
      { type: "FailChain", message: `batch ${batch!.batch} failed 2 times (limit 1); last: exit 1` },
    ]);
  });

  it("fails the chain at once on a permanent failure", () => {
    const plan = smallPlan({ parallelism: 1 });
    let state = initialState(20, 1);
    const [batch] = starts(schedule(plan, state, T0));
    state = apply(plan, state, ...started([batch!]), {
      type: "BatchFailed",
      batch: batch!.batch,
      attempt: 1,
      reason: "permanent",
      at: T0,
      message: "s3://b/scene.tif: not a TIFF",
    });
    expect(schedule(plan, state, T0)).toEqual([
      {
        type: "FailChain",
        message: `batch ${batch!.batch} failed permanently: s3://b/scene.tif: not a TIFF`,
      },
    ]);
  });

  it("ignores stale reports from an earlier attempt", () => {
    const plan = smallPlan({ parallelism: 1 });
    let state = initialState(20, 1);
    const [batch] = starts(schedule(plan, state, T0));
    state = apply(plan, state, ...started([batch!]), {
      type: "BatchFailed",
      batch: batch!.batch,
      attempt: 1,
      reason: "evicted",
      at: T0,
      message: "",
    });
    state = apply(plan, state, {
      type: "BatchStarted",
      batch: batch!.batch,
      lane: 0,
      attempt: 2,
      tasks: batch!.tasks,
    });
    const stale = observe(plan, state, { type: "BatchSucceeded", batch: batch!.batch, attempt: 1 });
    expect(stale.state).toBe(state);
    expect(stale.transitions).toEqual([]);
  });

  it("starts nothing while suspended, and caps pods at the live parallelism", () => {
    const plan = smallPlan();
    expect(starts(schedule(plan, initialState(20, 2), T0, { suspend: true }))).toEqual([]);
    expect(starts(schedule(plan, initialState(20, 2), T0, { parallelism: 1 }))).toHaveLength(1);
    // Focused on one lane (a caller that knows only lane 1 changed): nothing starts elsewhere.
    expect(starts(schedule(plan, initialState(20, 2), T0, { lanes: [1] })).map((a) => a.lane)).toEqual([1]);
    // More pods than lanes: a lane runs a second batch on its node.
    expect(starts(schedule(plan, initialState(20, 2), T0, { parallelism: 4, tasksPerPod: 2 }))).toHaveLength(
      4,
    );
  });

  it("gives a pod to the lane with fewest running before any other gets one more", () => {
    const plan = smallPlan({ tasksPerPod: 1 });
    const first = starts(schedule(plan, initialState(20, 2), T0, { parallelism: 2, lanes: [0] }));
    expect(first.map((a) => a.lane)).toEqual([0]); // its share: parallelism / lanes = 1 pod
    const state = apply(plan, initialState(20, 2), ...started(first));
    expect(starts(schedule(plan, state, T0, { parallelism: 2 })).map((a) => a.lane)).toEqual([1]);
  });

  it("lets an idle lane take the far end of a loaded lane's queue, reading only shared scratch", () => {
    const plan = smallPlan({ parallelism: 2, tasksPerPod: 1 });
    const { laneOf } = plan.lanes;
    let state = initialState(20, 2);
    const lane1 = [...Array(20).keys()].filter((t) => laneOf[t] === 1 && t < 16);
    state = { ...state, tasks: state.tasks.map((s, t) => (lane1.includes(t) ? DONE : s)) };
    const [home, away] = starts(schedule(plan, state, T0));
    expect(home!.lane).toBe(0);
    expect(away!.lane).toBe(1);
    // Lane 0's NDVI tiles (sources only) are 0..3: its own pod starts at the front, the other at the back.
    expect(away!.tasks).toEqual([3]);
    expect(home!.tasks[0]).toBeLessThan(3);
    state = apply(plan, state, ...started([home!, away!]), {
      type: "BatchSucceeded",
      batch: away!.batch,
      attempt: 1,
    });
    expect(state.moved[3]).toBe(1);
    // The tile went to shared scratch: losing lane 0's volume does not send it back.
    const lost = observe(plan, state, { type: "LaneLost", lane: 0 });
    expect(lost.state.tasks[3]).toBe(DONE);
  });

  it("shares the work left over the pods: smaller batches near the end, down to a quarter batch", () => {
    const sizes = (tasksPerPod: number, parallelism: number, done: number) => {
      const plan = smallPlan({ parallelism: 2, tasksPerPod });
      const state = initialState(20, 2);
      const tasks = state.tasks.map((s, t) => (t < done ? DONE : s));
      // Overview tiles a batch unlocked come on top: the pod climbs the pyramid (tested below).
      const overview = (t: number) =>
        plan.stages.some(
          (s, i) => s.kind === "overview" && t >= plan.dag.stageStart[i]! && t < plan.dag.stageStart[i + 1]!,
        );
      return starts(schedule(plan, { ...state, tasks }, T0, { parallelism })).map(
        (a) => a.tasks.filter((t) => !overview(t)).length,
      );
    };
    expect(sizes(4, 2, 0)).toEqual([4, 4]); // 20 tasks over 2 pods: full batches
    expect(sizes(4, 8, 0)[0]).toBe(3); // 20 tasks over 8 pods
    expect(Math.max(...sizes(8, 8, 8))).toBe(2); // 12 tasks over 8 pods, but no less than a quarter batch
  });

  it("holds an overview tile whose reader waits on a running pod, then climbs the pyramid in one pod", () => {
    const plan = smallPlan({ parallelism: 2, tasksPerPod: 4 });
    const { stageStart, depStart, deps } = plan.dag;
    const inputs = (t: number) => [...deps.subarray(depStart[t], depStart[t + 1])];
    const overviews = plan.stages.flatMap((s, i) => (s.kind === "overview" ? [stageStart[i]!] : []));
    const [mine, theirs] = [overviews[0]!, overviews[0]! + 1]; // the two level-1 tiles, lanes 0 and 1
    const top = overviews[1]!; // level 2 reads both
    expect(inputs(top).sort()).toEqual([mine, theirs]);
    let state = initialState(20, 2);
    const done = new Set([...Array(8).keys(), ...inputs(mine)]);
    state = { ...state, tasks: state.tasks.map((s, t) => (done.has(t) ? DONE : s)) };
    const last = {
      type: "BatchStarted",
      batch: "l1-b0",
      lane: 1,
      attempt: 1,
      tasks: inputs(theirs),
    } as const;
    state = apply(plan, state, last);
    // Started now, the lane-0 tile would take a pod of its own, and level 2 another one after both.
    expect(starts(schedule(plan, state, T0)).flatMap((a) => a.tasks)).not.toContain(mine);
    state = apply(plan, state, { type: "BatchSucceeded", batch: "l1-b0", attempt: 1 });
    const next = starts(schedule(plan, state, T0));
    // …and on to the assembly, the last task, rather than leaving it a pod start of its own.
    expect(next.map((a) => a.tasks)).toEqual([[mine, theirs, top, top + 1]]);
  });

  it("lets a pod of another lane that makes the pyramid's last input climb on to the top and the assembly", () => {
    const plan = smallPlan({ parallelism: 2, tasksPerPod: 4 });
    const { stageStart } = plan.dag;
    const overviews = plan.stages.flatMap((s, i) => (s.kind === "overview" ? [stageStart[i]!] : []));
    const [theirs, top] = [overviews[0]! + 1, overviews[1]!];
    const assemble = top + 1;
    expect([plan.lanes.laneOf[theirs], plan.lanes.laneOf[top], plan.lanes.laneOf[assemble]]).toEqual([
      1, 0, 0,
    ]);
    let state = initialState(20, 2);
    state = { ...state, tasks: state.tasks.map((s, t) => (t < theirs ? DONE : s)) };
    // Lane 0's node is busy: were the assembly left to lane 0, it would wait for a pod start after the top.
    state = apply(plan, state, { type: "BatchStarted", batch: "l0-b9", lane: 0, attempt: 1, tasks: [] });
    const next = starts(schedule(plan, state, T0));
    expect(next.map((a) => [a.lane, a.tasks])).toEqual([[1, [theirs, top, assemble]]]);
  });

  it("retries a failed overview tile together with the levels above it that it unlocks", () => {
    const plan = smallPlan({ parallelism: 2, tasksPerPod: 4 });
    const { stageStart } = plan.dag;
    const overviews = plan.stages.flatMap((s, i) => (s.kind === "overview" ? [stageStart[i]!] : []));
    const [mine, theirs, top] = [overviews[0]!, overviews[0]! + 1, overviews[1]!];
    const assemble = top + 1;
    let state = initialState(20, 2);
    state = { ...state, tasks: state.tasks.map((s, t) => (t < top && t !== mine ? DONE : s)) };
    const batch = "l0-b3";
    state = apply(
      plan,
      state,
      { type: "BatchStarted", batch, lane: 0, attempt: 1, tasks: [mine] },
      { type: "BatchFailed", batch, attempt: 1, reason: "error", at: T0 - 10_000, message: "exit 1" },
    );
    expect(state.tasks[theirs]).toBe(DONE);
    // Retried alone, the top (and the assembly after it) would wait for a pod of its own after the retry.
    const retry = starts(schedule(plan, state, T0));
    expect(retry).toEqual([{ type: "StartBatch", batch, lane: 0, attempt: 2, tasks: [mine, top, assemble] }]);
    state = apply(plan, state, ...started(retry), { type: "BatchSucceeded", batch, attempt: 2 });
    expect([mine, top, assemble].map((t) => state.tasks[t])).toEqual([DONE, DONE, DONE]);
    expect(schedule(plan, state, T0)).toContainEqual({ type: "Complete" });
  });

  it("gives the tasks of a node-lost batch back to the pool once the lane loss took their inputs", () => {
    const plan = smallPlan({ parallelism: 2, tasksPerPod: 4 });
    let state = initialState(20, 2);
    const first = starts(schedule(plan, state, T0));
    state = apply(
      plan,
      state,
      ...started(first),
      ...first.map((b) => ({ type: "BatchSucceeded", batch: b.batch, attempt: 1 }) as const),
    );
    const lost = starts(schedule(plan, state, T0)).find((b) => b.lane === 0)!;
    state = apply(
      plan,
      state,
      ...started([lost]),
      { type: "BatchFailed", batch: lost.batch, attempt: 1, reason: "node-lost", at: T0, message: "gone" },
      { type: "LaneLost", lane: 0 },
    );
    // The batch is not restarted as it was (its inputs are gone); its tasks join new depth-first batches,
    // once the batches that recompute their inputs have run.
    const taken: number[] = [];
    for (let round = 0; round < 4 && !lost.tasks.some((t) => taken.includes(t)); round++) {
      const next = starts(schedule(plan, state, T0));
      expect(next.some((a) => a.batch === lost.batch)).toBe(false);
      taken.push(...next.flatMap((a) => a.tasks));
      state = apply(plan, state, ...started(next));
      const waiting = state.batches.filter((b) => b.phase === "backoff").flatMap((b) => b.tasks);
      expect(waiting.filter((t) => taken.includes(t))).toEqual([]);
      state = apply(
        plan,
        state,
        ...next.map((b) => ({ type: "BatchSucceeded", batch: b.batch, attempt: 1 }) as const),
      );
    }
    expect(lost.tasks.some((t) => taken.includes(t))).toBe(true);
  });

  it("binds one smallest batch to a lost lane until its new node reports, leaving the rest to others", () => {
    const plan = smallPlan({ parallelism: 2, tasksPerPod: 4 });
    let state = apply(plan, initialState(20, 2), { type: "LaneLost", lane: 1 });
    const first = starts(schedule(plan, state, T0));
    const late = first.find((a) => a.lane === 1)!;
    expect(late.tasks).toHaveLength(1);
    state = apply(plan, state, ...started(first));
    // Nothing more goes to the lane while its only pod waits for the node.
    expect(starts(schedule(plan, state, T0)).filter((a) => a.lane === 1)).toEqual([]);
    state = apply(plan, state, { type: "BatchSucceeded", batch: late.batch, attempt: 1 });
    const again = starts(schedule(plan, state, T0)).find((a) => a.lane === 1)!;
    expect(again.tasks).toHaveLength(4);
  });

  it("binds nothing to a lost lane once a node that is up has run out of work: that node takes it", () => {
    const plan = smallPlan({ parallelism: 3, tasksPerPod: 4 });
    const { laneOf } = plan.lanes;
    expect(plan.lanes.count).toBe(3);
    // Lane 2 has made all of its tiles (it holds no overview tile): its node is idle.
    let state = initialState(laneOf.length, 3);
    state = { ...state, tasks: state.tasks.map((s, t) => (laneOf[t] === 2 ? DONE : s)) };
    state = apply(plan, state, { type: "LaneLost", lane: 1 });
    const first = starts(schedule(plan, state, T0));
    expect(first.filter((a) => a.lane === 1)).toEqual([]);
    const taken = first.find((a) => a.lane === 2)!;
    expect(taken.tasks.length).toBeGreaterThan(0);
    expect(taken.tasks.every((t) => laneOf[t] === 1)).toBe(true);
  });

  it("recomputes a lost lane's tiles that are still needed, and tells the story", () => {
    const plan = smallPlan({ parallelism: 2, tasksPerPod: 4 });
    let state = initialState(20, 2);
    const batches = starts(schedule(plan, state, T0));
    state = apply(plan, state, ...started(batches));
    state = apply(
      plan,
      state,
      ...batches.map((b) => ({ type: "BatchSucceeded", batch: b.batch, attempt: 1 }) as const),
    );
    expect(state.tasks.subarray(0, 8).every((s) => s === DONE)).toBe(true);
    const lost = observe(plan, state, { type: "LaneLost", lane: 0 });
    // Lane 0's NDVI tiles that no other lane reads are gone and needed by lane 0's box tiles.
    const recomputed = lost.transitions.filter((t) => t.to === PENDING).map((t) => t.task);
    expect(recomputed.length).toBeGreaterThan(0);
    for (const t of recomputed) {
      expect(plan.lanes.laneOf[t]).toBe(0);
      expect(plan.lanes.shared[t]).toBe(0);
    }
    expect(story(lost.transitions, recomputed[0]!)).toEqual([
      { task: recomputed[0], from: DONE, to: PENDING, stimulus: "LaneLost", batch: null },
    ]);
  });
});
