/** The pure half of the operator's observation: pods as batch attempts, replayed onto a restored state; expectations. */
import { describe, expect, it } from "vitest";
import { Expectations } from "../../operator/kube/expectations.ts";
import { ANNOTATION, LABEL, formatTaskList, parseTaskList } from "../../operator/kube/meta.ts";
import {
  CREATED_ANNOTATION,
  observePods,
  podBatch,
  recorded,
  type PodObject,
} from "../../operator/kube/observed-pods.ts";
import { schedule } from "../../operator/schedule/schedule.ts";
import { DONE, PENDING, RUNNING, initialState, type ChainState } from "../../operator/schedule/types.ts";
import { smallPlan } from "../schedule/fixtures.ts";

const plan = smallPlan();
const total = plan.dag.stageStart[plan.stages.length]!;
const fresh = () => initialState(total, plan.lanes.count);
const first = schedule(plan, fresh(), 0).flatMap((a) => (a.type === "StartBatch" ? [a] : []));
const [b0, b1] = [first[0]!, first[1]!];

interface PodFixture {
  batch: string;
  lane: number;
  attempt?: number;
  tasks: readonly number[];
  phase?: "Pending" | "Running" | "Succeeded" | "Failed";
  exitCode?: number;
  reason?: string;
  created?: number;
  /** The operator's creation record: ms and index within a reconcile. */
  order?: [number, number];
}

function pod(f: PodFixture): PodObject {
  const terminated =
    f.exitCode === undefined
      ? {}
      : { state: { terminated: { exitCode: f.exitCode, finishedAt: "2026-01-01T00:01:00Z" } } };
  return {
    metadata: {
      name: `c-abcde-${f.batch}-a${f.attempt ?? 1}`,
      creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, f.created ?? 0)).toISOString(),
      labels: {
        [LABEL.batch]: f.batch,
        [LABEL.lane]: String(f.lane),
        [LABEL.attempt]: String(f.attempt ?? 1),
      },
      annotations: {
        [ANNOTATION.tasks]: formatTaskList(f.tasks),
        ...(f.order ? { [CREATED_ANNOTATION]: f.order.join(".") } : {}),
      },
    },
    spec: { nodeName: "node-0" },
    status: {
      phase: f.phase ?? "Running",
      ...(f.reason ? { reason: f.reason } : {}),
      containerStatuses: [terminated],
    },
  };
}

function replay(state: ChainState, ...fixtures: PodFixture[]): ChainState {
  return observePods(
    plan,
    state,
    fixtures.map((f) => podBatch(pod(f))!),
    new Map([["c-abcde-l0-b0-a1", "tile 3 is corrupt"]]),
  );
}

const states = (s: ChainState, tasks: readonly number[]) => tasks.map((t) => s.tasks[t]);

describe("pods replayed onto the restored state", () => {
  it("a running pod runs its tasks, and its batch number is taken", () => {
    const s = replay(fresh(), { ...b0, phase: "Running" });
    expect(states(s, b0.tasks)).toEqual(b0.tasks.map(() => RUNNING));
    expect(s.batches.map((b) => [b.id, b.phase])).toEqual([[b0.batch, "running"]]);
    expect(s.nextBatch[b0.lane]).toBe(1);
  });

  it("a succeeded pod's tasks are done and its batch is over", () => {
    const s = replay(fresh(), { ...b0, phase: "Succeeded", exitCode: 0 });
    expect(states(s, b0.tasks)).toEqual(b0.tasks.map(() => DONE));
    expect(s.batches).toEqual([]);
  });

  it("exit code 2 fails the chain with the worker's cause; another code waits to retry", () => {
    const permanent = replay(fresh(), { ...b0, phase: "Failed", exitCode: 2 });
    expect(permanent.failure).toContain("tile 3 is corrupt");
    const transient = replay(fresh(), { ...b1, phase: "Failed", exitCode: 1 });
    expect(transient.failure).toBeNull();
    expect(transient.batches.map((b) => [b.id, b.phase, b.failures])).toEqual([[b1.batch, "backoff", 1]]);
    expect(states(transient, b1.tasks.slice(1))).toEqual(b1.tasks.slice(1).map(() => PENDING));
  });

  it("exit code 3 (an input tile missing) redoes the task that made it, without counting a failure", () => {
    const done = replay(fresh(), { ...b0, phase: "Succeeded", exitCode: 0 });
    const producer = b0.tasks[0]!;
    const consumer = plan.dag.consumers[plan.dag.consumerStart[producer]!]!;
    expect(done.tasks[producer]).toBe(DONE);
    const lost = observePods(
      plan,
      done,
      [podBatch(pod({ batch: "l0-b1", lane: 0, tasks: [consumer], phase: "Failed", exitCode: 3 }))!],
      new Map([["c-abcde-l0-b1-a1", `task ${consumer}: scratch tile x of task ${producer} is missing (…)`]]),
    );
    expect(lost.tasks[producer]).toBe(PENDING);
    expect(lost.tasks[consumer]).toBe(PENDING);
    expect(lost.batches.map((b) => b.failures)).toEqual([0]);
    // Without the worker's word on which tile, nothing is redone: the batch just goes back.
    const unnamed = replay(done, {
      batch: "l0-b1",
      lane: 0,
      tasks: [consumer],
      phase: "Failed",
      exitCode: 3,
    });
    expect(unnamed.tasks[producer]).toBe(DONE);
  });

  it("an evicted pod does not count as a failure", () => {
    const s = replay(fresh(), { ...b1, phase: "Failed", exitCode: 137, reason: "Evicted" });
    expect(s.batches.map((b) => b.failures)).toEqual([0]);
  });

  it("the failed attempt, then its running retry", () => {
    const s = replay(
      fresh(),
      { ...b1, attempt: 2, phase: "Running", created: 5 },
      { ...b1, phase: "Failed", exitCode: 1, created: 1 },
    );
    expect(s.batches.map((b) => [b.id, b.attempt, b.phase, b.failures])).toEqual([
      [b1.batch, 2, "running", 1],
    ]);
  });

  it("replays in the operator's creation order: a batch that took a failed batch's tasks comes after it", () => {
    // Same second of creationTimestamp, and the later batch has the lower number: only the record orders them.
    const taken = b1.tasks.at(-1)!;
    const earlier = { ...b1, batch: `l${b1.lane}-b3` };
    const s = replay(
      fresh(),
      { batch: "l0-b1", lane: 0, tasks: [taken], phase: "Failed", exitCode: 1, order: [1000, 0] },
      { ...earlier, phase: "Failed", exitCode: 1, order: [900, 0] },
    );
    expect(s.batches.map((b) => [b.id, b.tasks])).toEqual([
      [earlier.batch, [b1.tasks[0]]],
      ["l0-b1", [taken]],
    ]);
  });

  it("tasks the status already records as done are not started again", () => {
    const restored = replay(fresh(), { ...b0, phase: "Succeeded", exitCode: 0 });
    const s = replay(restored, { ...b0, phase: "Succeeded", exitCode: 0 });
    expect(states(s, b0.tasks)).toEqual(b0.tasks.map(() => DONE));
    expect(s.batches).toEqual([]);
  });

  it("a succeeded pod may go only once the status records its tasks and its batch number", () => {
    const done = podBatch(pod({ ...b0, phase: "Succeeded", exitCode: 0 }))!;
    expect(recorded(fresh(), done)).toBe(false);
    expect(recorded(replay(fresh(), { ...b0, phase: "Succeeded", exitCode: 0 }), done)).toBe(true);
    const running = podBatch(pod({ ...b0, phase: "Running" }))!;
    expect(recorded(replay(fresh(), { ...b0, phase: "Succeeded", exitCode: 0 }), running)).toBe(false);
  });

  it("a pod without a batch's labels or with a bad task list is not read", () => {
    expect(podBatch({ metadata: { name: "other" } })).toBeNull();
    const bad = pod({ ...b0 });
    bad.metadata!.annotations![ANNOTATION.tasks] = "1,x";
    expect(podBatch(bad)).toBeNull();
  });

  it("task lists round-trip", () => {
    for (const tasks of [[0], [3, 4, 9, 10, 11, 12], [7, 2, 3, 4, 1]])
      expect(parseTaskList(formatTaskList(tasks))).toEqual(tasks);
  });
});

describe("expectations", () => {
  const seen = (names: string[]) => (n: string) => names.includes(n);
  it.each([
    { name: "nothing written", writes: null, version: "5", pods: [], now: 0, wait: 0 },
    {
      name: "status write not seen yet",
      writes: { readVersion: "5" },
      version: "5",
      pods: [],
      now: 10,
      wait: 29_990,
    },
    { name: "status write seen", writes: { readVersion: "5" }, version: "6", pods: [], now: 10, wait: 0 },
    { name: "pod not seen", writes: { pods: ["p1"] }, version: "5", pods: [], now: 10, wait: 29_990 },
    { name: "pod seen", writes: { pods: ["p1"] }, version: "5", pods: ["p1"], now: 10, wait: 0 },
    { name: "expired", writes: { pods: ["p1"] }, version: "5", pods: [], now: 30_000, wait: 0 },
  ])("$name", ({ writes, version, pods, now, wait }) => {
    const e = new Expectations();
    if (writes) e.wrote("ns/c", 0, writes);
    expect(e.waitMs("ns/c", now, version, seen(pods))).toBe(wait);
  });
});
