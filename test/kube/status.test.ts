import { describe, expect, it } from "vitest";
import type { Condition } from "../../operator/kube/conditions.ts";
import { unpackNodes, unpackNumbers } from "../../operator/kube/lane-encoding.ts";
import {
  chainStatus,
  invalidSpecStatus,
  stalledStatus,
  type StatusInput,
} from "../../operator/kube/status.ts";
import { decodeBitmap } from "../../operator/schedule/progress.ts";
import { imageChainStatus } from "../../operator/spec/status.ts";
import {
  DELETED,
  DONE,
  initialState,
  RUNNING,
  type Batch,
  type ChainState,
} from "../../operator/schedule/types.ts";
import { smallPlan } from "../schedule/fixtures.ts";

const PLAN = smallPlan(); // 20 tasks, 2 lanes
const N = PLAN.order.length;
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const LANES = [
  { node: "node-0", volume: 0 },
  { node: null, volume: 1 },
];

function batch(over: Partial<Batch>): Batch {
  return {
    id: "l0-b0",
    lane: 0,
    tasks: [0],
    attempt: 1,
    failures: 0,
    phase: "running",
    retryAt: null,
    lastError: null,
    ...over,
  };
}

/** A state with `done` tasks done (the rest pending) and the given batches. */
function state(done: readonly number[], batches: Batch[] = [], extra: Partial<ChainState> = {}): ChainState {
  const s = initialState(N, 2);
  for (const t of done) s.tasks[t] = DONE;
  for (const b of batches) if (b.phase === "running") for (const t of b.tasks) s.tasks[t] = RUNNING;
  return { ...s, batches, ...extra };
}

const ALL = Array.from({ length: N }, (_, t) => t);
const status = (s: ChainState, over: Partial<StatusInput> = {}) =>
  chainStatus({ generation: 3, plan: PLAN, state: s, lanes: LANES, suspend: false, now: T0, ...over });
const summary = (cs: readonly Condition[]) =>
  Object.fromEntries(cs.map((c) => [c.type, `${c.status} ${c.reason}`]));

describe("chain status", () => {
  it.each<[string, ChainState, Partial<StatusInput>, string, Record<string, string>]>([
    [
      "nothing started",
      state([]),
      {},
      "Pending",
      {
        Ready: "False Pending",
        Reconciling: "True Pending",
        Stalled: "False Pending",
        Complete: "False Pending",
        Failed: "False Pending",
        Suspended: "False Pending",
      },
    ],
    [
      "a batch running",
      state([], [batch({ tasks: [0, 1] })]),
      {},
      "Running",
      {
        Ready: "False Running",
        Reconciling: "True Running",
        Stalled: "False Running",
        Complete: "False Running",
        Failed: "False Running",
        Suspended: "False Running",
      },
    ],
    [
      "suspended while a batch finishes",
      state([2], [batch({})]),
      { suspend: true },
      "Suspended",
      {
        Ready: "False Suspended",
        Reconciling: "True Draining",
        Stalled: "False Suspended",
        Complete: "False Suspended",
        Failed: "False Suspended",
        Suspended: "True Suspended",
      },
    ],
    [
      "suspended and quiet",
      state([2]),
      { suspend: true },
      "Suspended",
      {
        Ready: "False Suspended",
        Reconciling: "False Suspended",
        Stalled: "False Suspended",
        Complete: "False Suspended",
        Failed: "False Suspended",
        Suspended: "True Suspended",
      },
    ],
    [
      "every task done",
      state(ALL),
      {},
      "Succeeded",
      {
        Ready: "True Succeeded",
        Reconciling: "False Succeeded",
        Stalled: "False Succeeded",
        Complete: "True Succeeded",
        Failed: "False Succeeded",
        Suspended: "False Succeeded",
      },
    ],
    [
      "done even if suspended",
      state(ALL),
      { suspend: true },
      "Succeeded",
      {
        Ready: "True Succeeded",
        Reconciling: "False Succeeded",
        Stalled: "False Succeeded",
        Complete: "True Succeeded",
        Failed: "False Succeeded",
        Suspended: "False Succeeded",
      },
    ],
    [
      "the scheduler's failure",
      state([1], [], { failure: "batch l0-b1 failed 4 times" }),
      {},
      "Failed",
      {
        Ready: "False BatchFailed",
        Reconciling: "False Failed",
        Stalled: "True BatchFailed",
        Complete: "False Failed",
        Failed: "True BatchFailed",
        Suspended: "False Failed",
      },
    ],
    [
      "a failure with a reason",
      state([1]),
      { failure: { reason: "PermanentError", message: "tile 3: bad band 7" } },
      "Failed",
      {
        Ready: "False PermanentError",
        Reconciling: "False Failed",
        Stalled: "True PermanentError",
        Complete: "False Failed",
        Failed: "True PermanentError",
        Suspended: "False Failed",
      },
    ],
  ])("%s", (_, s, over, phase, conds) => {
    const st = status(s, over);
    expect(st.phase).toBe(phase);
    expect(summary(st.conditions)).toEqual(conds);
    expect(st.observedGeneration).toBe(3);
    for (const c of st.conditions) {
      expect(c.observedGeneration).toBe(3);
      expect(c.lastTransitionTime).toBe("2026-01-01T12:00:00Z");
    }
  });

  it("names the failure in the Failed condition's message", () => {
    const st = status(state([]), {
      failure: { reason: "PermanentError", message: "tile 3 of ndvi: s3://b/scene.tif: not a TIFF" },
    });
    expect(st.conditions.find((c) => c.type === "Failed")!.message).toBe(
      "tile 3 of ndvi: s3://b/scene.tif: not a TIFF",
    );
  });

  it("keeps a condition's transition time while its status stays, and moves it when the status changes", () => {
    const t1 = T0 + 60_000;
    const t2 = T0 + 120_000;
    const first = status(state([], [batch({})]));
    const second = status(state([0, 1], [batch({ id: "l0-b1", tasks: [2] })]), { now: t1, previous: first });
    const r2 = second.conditions.find((c) => c.type === "Reconciling")!;
    expect(r2.lastTransitionTime).toBe("2026-01-01T12:00:00Z");
    expect(r2.message).not.toBe(first.conditions.find((c) => c.type === "Reconciling")!.message);
    const third = status(state(ALL), { now: t2, previous: second });
    const time = (type: string) => third.conditions.find((c) => c.type === type)!.lastTransitionTime;
    expect([time("Reconciling"), time("Ready"), time("Complete")]).toEqual(
      Array(3).fill("2026-01-01T12:02:00Z"),
    );
    expect([time("Stalled"), time("Failed"), time("Suspended")]).toEqual(
      Array(3).fill("2026-01-01T12:00:00Z"),
    );
  });

  it("sets the start time at the first batch and the completion time once, and carries outputs", () => {
    expect(status(state([])).startTime).toBeUndefined();
    const running = status(state([], [batch({})]));
    expect(running.startTime).toBe("2026-01-01T12:00:00Z");
    expect(running.completionTime).toBeUndefined();
    const outputs = [{ uri: "s3://out/smooth.tif", bytes: 12345 }];
    const done = status(state(ALL), { now: T0 + 5000, previous: running, outputs });
    expect([done.startTime, done.completionTime]).toEqual(["2026-01-01T12:00:00Z", "2026-01-01T12:00:05Z"]);
    const later = status(state(ALL), { now: T0 + 9000, previous: done });
    expect([later.completionTime, later.outputs]).toEqual(["2026-01-01T12:00:05Z", outputs]);
  });

  it("counts and maps tiles: done (or deleted), running, and failed waiting to retry", () => {
    const s = state(
      [0, 1, 2],
      [
        batch({ tasks: [3, 4] }),
        batch({ id: "l1-b0", lane: 1, tasks: [15, 16], phase: "backoff", retryAt: T0 }),
      ],
    );
    s.tasks[0] = DELETED;
    const st = status(s);
    expect(st.progress).toBe(`3/${N}`);
    expect(st.tiles).toEqual({ total: N, succeeded: 3, running: 2, failed: 2 });
    const done = new Uint8Array(N);
    for (const [i, stage] of st.stages.entries()) {
      const start = PLAN.dag.stageStart[i]!;
      expect(stage.name).toBe(PLAN.stages[i]!.name);
      done.set(decodeBitmap(stage.done, stage.tiles), start);
    }
    expect([...done.keys()].filter((t) => done[t] === 1)).toEqual([0, 1, 2]);
  });

  it("gives each lane a phase letter, its node, its volume generation and its next batch number", () => {
    const mine = (lane: number) => ALL.filter((t) => PLAN.lanes.laneOf[t] === lane);
    const cases: [ChainState, string][] = [
      [state([]), "WW"],
      [state([], [batch({ lane: 1, tasks: [mine(1)[0]!] })]), "WR"],
      [state([], [batch({ lane: 0, phase: "backoff", retryAt: T0 })]), "BW"],
      [state(mine(0)), "DW"],
      [state(mine(1), [batch({ lane: 1, tasks: [mine(0)[0]!] })]), "WR"], // a lane's node running another's task
      [state(ALL), "DD"],
    ];
    for (const [s, phases] of cases) expect(status(s).lanes.phases).toBe(phases);
    const lanes = status(state([], [], { nextBatch: [7, 12] })).lanes;
    expect(lanes.count).toBe(2);
    expect(unpackNodes(lanes.nodes, 2)).toEqual(["node-0", null]);
    expect(unpackNumbers(lanes.volumes, 2)).toEqual([0, 1]);
    expect(lanes.batches).toBe("7,12");
  });

  it("needs a record per lane", () => {
    expect(() => status(state([]), { lanes: [LANES[0]!] })).toThrow(/2 lane records, got 1/);
  });

  it("an invalid spec fails with the field in the message, and nothing else", () => {
    const st = invalidSpecStatus(2, "spec.steps[1].inputs.im: unknown step 'ndvii'", T0);
    expect(st.phase).toBe("Failed");
    expect(summary(st.conditions)).toMatchObject({
      Stalled: "True InvalidSpec",
      Failed: "True InvalidSpec",
      Ready: "False InvalidSpec",
    });
    expect(st.conditions.find((c) => c.type === "Failed")!.message).toMatch(/spec.steps\[1\].inputs.im/);
    expect(Object.keys(st)).toEqual(["observedGeneration", "phase", "conditions"]);
  });

  it("cuts a very long message", () => {
    const st = status(state([]), { failure: { reason: "PermanentError", message: "x".repeat(10_000) } });
    expect(st.conditions.find((c) => c.type === "Failed")!.message.length).toBe(2048);
  });

  it("fits the CRD's status schema, field for field (nothing the API server would prune)", () => {
    const written = [
      status(state([0, 1], [batch({ tasks: [2] })]), { outputs: [{ uri: "s3://out/a.tif", bytes: 1 }] }),
      status(state(ALL)),
      status(state([]), { failure: { reason: "PermanentError", message: "tile 3: bad" } }),
      invalidSpecStatus(1, "spec.steps: bad", T0),
    ];
    for (const st of written) {
      const json = JSON.parse(JSON.stringify(st)) as unknown;
      const parsed = imageChainStatus.safeParse(json);
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
      expect(parsed.data).toEqual(json);
    }
  });
});

describe("a status the operator cannot continue from", () => {
  it("is kept as it is, with Stalled (and not Ready) saying why", () => {
    const previous = { phase: "Running", progress: "3/20", lanes: { count: 7 }, conditions: [] };
    const s = stalledStatus(previous, 2, "the status does not fit", Date.parse("2026-01-01T00:00:00Z"));
    expect(s).toMatchObject({ phase: "Running", progress: "3/20", lanes: { count: 7 } });
    const byType = Object.fromEntries(
      (s.conditions as { type: string; status: string; reason: string; message: string }[]).map((c) => [
        c.type,
        c,
      ]),
    );
    expect(byType.Stalled).toMatchObject({
      status: "True",
      reason: "StatusMismatch",
      message: "the status does not fit",
    });
    expect(byType.Ready).toMatchObject({ status: "False", reason: "StatusMismatch" });
    expect(byType.Reconciling!.status).toBe("False");
  });
});
