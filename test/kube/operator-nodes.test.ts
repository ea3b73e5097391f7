/** Node loss, the pure half: lost lanes, their new volume generation, and how the pods of a lost volume end. */
import { describe, expect, it } from "vitest";
import { LABEL } from "../../operator/kube/meta.ts";
import {
  isStaleClaim,
  nodeLoss,
  nodeVerdict,
  podNode,
  podVolume,
  readinessChanged,
  type NodeObject,
  type PinnedPod,
} from "../../operator/kube/nodes.ts";
import { podBatch } from "../../operator/kube/observed-pods.ts";
import { laneAffinity } from "../../operator/kube/pods.ts";
import type { LaneRecord } from "../../operator/kube/status.ts";

interface Fixture {
  name: string;
  lane: number;
  volume: number;
  node?: string;
  pinned?: string;
  phase?: "Pending" | "Running" | "Succeeded" | "Failed";
  exitCode?: number;
  podGC?: boolean;
}

function pod(f: Fixture): PinnedPod {
  const affinity = laneAffinity(f.pinned ?? null);
  return {
    metadata: {
      name: f.name,
      labels: { [LABEL.batch]: `l${f.lane}-b0`, [LABEL.lane]: String(f.lane), [LABEL.attempt]: "1" },
      annotations: { "imagechain.io/tasks": "0-1" },
    },
    spec: {
      ...(f.node ? { nodeName: f.node } : {}),
      ...(affinity ? { affinity } : {}),
      volumes: [{ name: "scratch", persistentVolumeClaim: { claimName: `c-abcde-l${f.lane}-v${f.volume}` } }],
    } as PinnedPod["spec"],
    status: {
      phase: f.phase ?? "Running",
      ...(f.exitCode === undefined
        ? {}
        : { containerStatuses: [{ state: { terminated: { exitCode: f.exitCode } } }] }),
      ...(f.podGC ? { conditions: [{ type: "DisruptionTarget", reason: "DeletionByPodGC" }] } : {}),
    },
  };
}

const pods = (...fs: Fixture[]) => fs.map((f) => ({ pod: pod(f), batch: podBatch(pod(f))! }));
const alive =
  (...nodes: string[]) =>
  (n: string) =>
    nodes.includes(n);

describe("node loss", () => {
  it("reads a pod's node (bound, else pinned) and its volume generation", () => {
    expect(podNode(pod({ name: "a", lane: 0, volume: 0, node: "n1", pinned: "n2" }))).toBe("n1");
    expect(podNode(pod({ name: "a", lane: 0, volume: 0, pinned: "n2" }))).toBe("n2");
    expect(podNode(pod({ name: "a", lane: 0, volume: 0 }))).toBeNull();
    expect(podVolume(pod({ name: "a", lane: 0, volume: 12 }))).toBe(12);
  });

  it("loses a lane whose node is gone: new generation, node forgotten, its pods end node-lost and go", () => {
    const records: LaneRecord[] = [
      { node: "n0", volume: 0 },
      { node: "n1", volume: 0 },
    ];
    const loss = nodeLoss(
      records,
      pods(
        { name: "ok", lane: 0, volume: 0, node: "n0", phase: "Succeeded" },
        { name: "run", lane: 0, volume: 0, node: "n0" },
        { name: "wait", lane: 0, volume: 0, pinned: "n0", phase: "Pending" },
        { name: "bad", lane: 0, volume: 0, node: "n0", phase: "Failed", exitCode: 2 },
        { name: "other", lane: 1, volume: 0, node: "n1" },
      ),
      alive("n1", "n2"),
      500,
    );
    expect(loss.lost).toEqual([{ lane: 0, node: "n0" }]);
    expect(loss.records).toEqual([
      { node: null, volume: 1 },
      { node: "n1", volume: 0 },
    ]);
    const ends = Object.fromEntries(loss.batches.map((b) => [b.pod, b.end]));
    // A completion is kept (recorded before its tiles are taken as lost); a permanent failure stays one.
    expect(ends.ok).toEqual({ kind: "succeeded" });
    expect(ends.run).toEqual({ kind: "failed", reason: "node-lost", at: 500 });
    expect(ends.wait).toEqual({ kind: "failed", reason: "node-lost", at: 500 });
    expect(ends.bad).toMatchObject({ kind: "failed", reason: "permanent" });
    expect(ends.other).toEqual({ kind: "running" });
    expect([...loss.doomed].sort()).toEqual(["bad", "ok", "run", "wait"]);
  });

  it("once the loss is recorded, the lost volume's pods are neither replayed nor a loss again", () => {
    const loss = nodeLoss(
      [
        { node: null, volume: 1 },
        { node: "n1", volume: 0 },
      ],
      pods(
        { name: "old", lane: 0, volume: 0, node: "n0", phase: "Succeeded" },
        { name: "new", lane: 0, volume: 1, node: "n2" },
      ),
      alive("n1", "n2"),
      0,
    );
    expect(loss.lost).toEqual([]);
    expect(loss.batches.map((b) => b.pod)).toEqual(["new"]);
    expect(loss.doomed).toEqual(["old"]);
    // The lane's new node is the one its first pod of the new volume landed on.
    expect(loss.records[0]).toEqual({ node: "n2", volume: 1 });
  });

  it("a lane whose node was never recorded is lost with the node its pod landed on", () => {
    const loss = nodeLoss(
      [{ node: null, volume: 0 }],
      pods({ name: "p", lane: 0, volume: 0, node: "n0" }),
      alive(),
      7,
    );
    expect(loss.lost).toEqual([{ lane: 0, node: "n0" }]);
    expect(loss.records).toEqual([{ node: null, volume: 1 }]);
    expect(loss.batches[0]!.end).toEqual({ kind: "failed", reason: "node-lost", at: 7 });
  });

  it("a pod PodGC failed is node-lost even before the node's deletion is seen; nothing else changes", () => {
    const loss = nodeLoss(
      [{ node: "n0", volume: 0 }],
      pods(
        { name: "gc", lane: 0, volume: 0, node: "n0", phase: "Failed", podGC: true },
        { name: "err", lane: 0, volume: 0, node: "n0", phase: "Failed", exitCode: 1 },
      ),
      alive("n0"),
      3,
    );
    expect(loss.lost).toEqual([]);
    expect(loss.records).toEqual([{ node: "n0", volume: 0 }]);
    expect(loss.batches.map((b) => b.end)).toEqual([
      { kind: "failed", reason: "node-lost", at: 3 },
      { kind: "failed", reason: "error", at: 0 },
    ]);
    expect(loss.doomed).toEqual(["gc"]);
  });

  it("a claim of an older generation than its lane's is stale", () => {
    const claim = (name: string, lane: number) => ({
      metadata: { name, labels: { [LABEL.lane]: String(lane) } },
    });
    const records = [
      { node: null, volume: 2 },
      { node: "n1", volume: 0 },
    ];
    expect(isStaleClaim(claim("c-abcde-l0-v1", 0), records)).toBe(true);
    expect(isStaleClaim(claim("c-abcde-l0-v2", 0), records)).toBe(false);
    expect(isStaleClaim(claim("c-abcde-l1-v0", 1), records)).toBe(false);
  });
});

describe("nodeVerdict", () => {
  const node = (status: string | null, since = "2026-01-01T00:00:00Z"): NodeObject => ({
    metadata: { name: "n" },
    status: status === null ? {} : { conditions: [{ type: "Ready", status, lastTransitionTime: since }] },
  });
  const t0 = Date.parse("2026-01-01T00:00:00Z");

  it("a gone node is lost; a Ready one or one not yet reporting is not", () => {
    expect(nodeVerdict(undefined, t0, 1000)).toEqual({ lost: true });
    expect(nodeVerdict(node("True"), t0 + 10 ** 9, 1000)).toEqual({ lost: false });
    expect(nodeVerdict(node(null), t0, 1000)).toEqual({ lost: false });
  });

  it("a NotReady or Unknown node is lost once it has been so for the grace, and says when to look again", () => {
    for (const status of ["False", "Unknown"]) {
      expect(nodeVerdict(node(status), t0 + 400, 1000)).toEqual({ lost: false, recheckInMs: 600 });
      expect(nodeVerdict(node(status), t0 + 1000, 1000)).toEqual({ lost: true });
    }
  });
});

describe("readinessChanged", () => {
  // As a kubelet writes it: heartbeat times on every condition (NodeObject reads only what verdicts need).
  const node = (status: string, since: string, heartbeat: string): NodeObject => {
    const written = {
      metadata: { name: "n", resourceVersion: heartbeat },
      status: {
        conditions: [
          { type: "MemoryPressure", status: "False", lastHeartbeatTime: heartbeat },
          { type: "Ready", status, lastTransitionTime: since, lastHeartbeatTime: heartbeat },
        ],
      },
    };
    return written;
  };
  const ready = node("True", "2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z");

  it("a heartbeat is no change; coming, going, and a Ready condition that turns or restarts are", () => {
    expect(readinessChanged(ready, node("True", "2026-01-01T00:00:00Z", "2026-01-01T00:10:00Z"))).toBe(false);
    expect(readinessChanged(undefined, ready)).toBe(true);
    expect(readinessChanged(ready, undefined)).toBe(true);
    expect(readinessChanged(ready, node("Unknown", "2026-01-01T00:10:00Z", "2026-01-01T00:10:00Z"))).toBe(
      true,
    );
    expect(readinessChanged(ready, node("True", "2026-01-01T00:09:00Z", "2026-01-01T00:10:00Z"))).toBe(true);
    expect(readinessChanged({ metadata: { name: "n" } }, ready)).toBe(true);
  });
});
