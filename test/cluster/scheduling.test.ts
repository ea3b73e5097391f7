/** The scheduler: placement rules as a table of cases on the pure function, then volume binding in a live cluster. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type Cluster } from "./cluster.ts";
import { nodeObject, type NodeSpec } from "./nodes.ts";
import type { KubeObject } from "./resources.ts";
import { place, type NodeState } from "./scheduling.ts";
import { until } from "./testing.ts";

function node(spec: NodeSpec, requested = { cpu: 0, memory: 0, pods: 0 }): NodeState {
  return { node: nodeObject(spec, "10.0.0.1"), requested };
}

function pod(spec: Record<string, unknown> = {}, cpu?: string): KubeObject {
  return {
    metadata: { name: "p" },
    spec: {
      containers: [
        { name: "c", image: "x", ...(cpu ? { resources: { requests: { cpu, memory: "1Gi" } } } : {}) },
      ],
      ...spec,
    },
  };
}

const nodes = [
  node({ name: "a", zone: "z1", labels: { disk: "ssd" } }),
  node({ name: "b", zone: "z2", taints: [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }] }),
  node({ name: "c", zone: "z2", cpu: "2" }, { cpu: 1.5, memory: 0, pods: 3 }),
];

const required = (key: string, operator: string, values: string[]) => ({
  affinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key, operator, values }] }],
      },
    },
  },
});
const preferred = (weight: number, key: string, values: string[]) => ({
  affinity: {
    nodeAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight, preference: { matchExpressions: [{ key, operator: "In", values }] } },
      ],
    },
  },
});

describe("place", () => {
  it.each([
    ["nodeSelector", pod({ nodeSelector: { disk: "ssd" } }), "a"],
    ["required node affinity", pod(required("topology.kubernetes.io/zone", "In", ["z2"])), "c"],
    ["preferred node affinity", pod(preferred(50, "kubernetes.io/hostname", ["c"])), "c"],
    [
      "a toleration opening a tainted node",
      pod({
        ...required("kubernetes.io/hostname", "In", ["b"]),
        tolerations: [{ key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule" }],
      }),
      "b",
    ],
    [
      "an Exists toleration",
      pod({ nodeSelector: { "kubernetes.io/hostname": "b" }, tolerations: [{ operator: "Exists" }] }),
      "b",
    ],
    ["NotIn", pod(required("kubernetes.io/hostname", "NotIn", ["a"])), "c"],
  ])("honours %s", (_what, p, expected) => {
    expect(place(p, nodes)).toEqual({ node: expected });
  });

  it.each([
    [
      "an untolerated taint",
      pod({ nodeSelector: { "kubernetes.io/hostname": "b" } }),
      "node(s) had untolerated taint {dedicated: gpu}",
    ],
    ["insufficient cpu", pod({ nodeSelector: { "kubernetes.io/hostname": "c" } }, "1"), "Insufficient cpu"],
    [
      "an unmatched selector",
      pod({ nodeSelector: { disk: "hdd" } }),
      "3 node(s) didn't match Pod's node affinity/selector",
    ],
  ])("refuses %s with a reason", (_what, p, reason) => {
    const result = place(p, nodes);
    expect("reasons" in result && result.reasons[0]).toContain(reason);
  });

  it("prefers the least allocated node among feasible ones", () => {
    const busy = node({ name: "busy" }, { cpu: 4, memory: 0, pods: 4 });
    const idle = node({ name: "idle" }, { cpu: 1, memory: 0, pods: 1 });
    expect(place(pod({}, "1"), [busy, idle])).toEqual({ node: "idle" });
  });

  it("keeps a pod off cordoned nodes", () => {
    const cordoned = node({ name: "cordoned" });
    (cordoned.node.spec as { unschedulable?: boolean }).unschedulable = true;
    expect(place(pod(), [cordoned, node({ name: "open" })])).toEqual({ node: "open" });
  });

  it("keeps a pod off nodes that are not Ready", () => {
    const down = node({ name: "d" });
    (down.node.status as { conditions: { status: string }[] }).conditions[0].status = "Unknown";
    expect(place(pod(), [down])).toEqual({ reasons: ["0/1 nodes are available: 1 node(s) were not ready."] });
  });
});

describe("volume binding", () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ nodes: 3, images: { shell: { command: ["/bin/sh", "-c"] } } });
  });
  afterAll(async () => cluster.stop());

  const t = () => {
    const r = cluster.server.api.registry;
    return { pods: r.get("", "v1", "pods")!, pvcs: r.get("", "v1", "persistentvolumeclaims")! };
  };
  const claimPod = (name: string, script: string, extra: Record<string, unknown> = {}) => ({
    metadata: { name },
    spec: {
      restartPolicy: "Never",
      volumes: [{ name: "scratch", persistentVolumeClaim: { claimName: "lane-0" } }],
      containers: [
        {
          name: "main",
          image: "shell",
          args: [script],
          volumeMounts: [{ name: "scratch", mountPath: "/scratch" }],
        },
      ],
      ...extra,
    },
  });
  const get = (name: string) => cluster.server.api.store.get("/pods", "default", name);
  const phase = (name: string) => (get(name)?.status as { phase?: string } | undefined)?.phase;
  const nodeOf = (name: string) => (get(name)?.spec as { nodeName?: string }).nodeName;

  it("provisions a WaitForFirstConsumer volume on the first consumer's node and pins later consumers there", async () => {
    const { api } = cluster.server;
    api.create(t().pvcs, "default", {
      metadata: { name: "lane-0" },
      spec: {
        storageClassName: "local-path",
        accessModes: ["ReadWriteOnce"],
        resources: { requests: { storage: "1Gi" } },
      },
    });
    const claim = api.store.get("/persistentvolumeclaims", "default", "lane-0");
    expect((claim?.status as { phase: string }).phase).toBe("Pending");
    api.create(
      t().pods,
      "default",
      claimPod("writer", "echo tile-1 > /scratch/t1", required("kubernetes.io/hostname", "In", ["node-2"])),
    );
    await until("writer done", () => phase("writer") === "Succeeded");
    const bound = api.store.get("/persistentvolumeclaims", "default", "lane-0");
    expect((bound?.status as { phase: string }).phase).toBe("Bound");
    const volume = (bound?.spec as { volumeName: string }).volumeName;
    const pv = api.store.get("/persistentvolumes", undefined, volume);
    const path = (pv?.spec as { local: { path: string } }).local.path;
    expect(path.startsWith(cluster.storage.nodeDir("node-2"))).toBe(true);
    expect(readFileSync(join(path, "t1"), "utf8")).toBe("tile-1\n");

    for (const name of ["reader-1", "reader-2", "reader-3"])
      api.create(t().pods, "default", claimPod(name, "cat /scratch/t1"));
    await until("readers done", () =>
      ["reader-1", "reader-2", "reader-3"].every((n) => phase(n) === "Succeeded"),
    );
    expect(["reader-1", "reader-2", "reader-3"].map(nodeOf)).toEqual(["node-2", "node-2", "node-2"]);
  });

  it("holds consumers of a volume whose node is lost, and the data is gone", async () => {
    const { api } = cluster.server;
    const volume = (
      api.store.get("/persistentvolumeclaims", "default", "lane-0")?.spec as { volumeName: string }
    ).volumeName;
    const path = (api.store.get("/persistentvolumes", undefined, volume)?.spec as { local: { path: string } })
      .local.path;
    cluster.faults.deleteNode("node-2");
    expect(existsSync(path)).toBe(false);
    api.create(t().pods, "default", claimPod("stranded", "cat /scratch/t1"));
    await until("unschedulable", () => {
      const c = (
        get("stranded")?.status as { conditions?: { type: string; reason?: string; message?: string }[] }
      ).conditions;
      return c?.find((x) => x.type === "PodScheduled" && x.reason === "Unschedulable");
    });
    const message = (get("stranded")?.status as { conditions: { message: string }[] }).conditions[0].message;
    expect(message).toContain("volume node affinity conflict");
  });

  it("deletes the volume and its directory with the claim", async () => {
    const { api } = cluster.server;
    api.create(t().pvcs, "default", {
      metadata: { name: "short" },
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
    });
    api.create(t().pods, "default", {
      ...claimPod("user", "echo x > /scratch/f"),
      spec: {
        ...claimPod("user", "echo x > /scratch/f").spec,
        volumes: [{ name: "scratch", persistentVolumeClaim: { claimName: "short" } }],
      },
    });
    await until("used", () => phase("user") === "Succeeded");
    const volume = (
      api.store.get("/persistentvolumeclaims", "default", "short")?.spec as { volumeName: string }
    ).volumeName;
    const path = (api.store.get("/persistentvolumes", undefined, volume)?.spec as { local: { path: string } })
      .local.path;
    expect(existsSync(path)).toBe(true);
    api.delete(t().pods, "default", "user");
    api.delete(t().pvcs, "default", "short");
    await until(
      "volume released",
      () => api.store.get("/persistentvolumes", undefined, volume) === undefined,
    );
    expect(existsSync(path)).toBe(false);
  });

  it("holds a gated pod until its scheduling gates are removed; gates cannot be added", async () => {
    const { api } = cluster.server;
    api.create(t().pods, "default", {
      metadata: { name: "gated" },
      spec: {
        restartPolicy: "Never",
        schedulingGates: [{ name: "example.io/quota" }],
        containers: [{ name: "c", image: "shell", args: ["true"] }],
      },
    });
    await until("gated condition", () => {
      const c = (get("gated")?.status as { conditions?: { reason?: string }[] }).conditions;
      return c?.some((x) => x.reason === "SchedulingGated");
    });
    expect(nodeOf("gated")).toBeUndefined();
    const gated = get("gated")!;
    const more = {
      ...gated,
      spec: { ...(gated.spec as object), schedulingGates: [{ name: "example.io/quota" }, { name: "x" }] },
    };
    expect(() => api.update(t().pods, "default", "gated", more)).toThrow(/only deletion is allowed/);
    api.update(t().pods, "default", "gated", {
      ...gated,
      spec: { ...(gated.spec as object), schedulingGates: [] },
    });
    await until("ran after ungating", () => phase("gated") === "Succeeded");
  });

  it("keeps pods Pending while requests exceed allocatable, and binds them when room is freed", async () => {
    const { api } = cluster.server;
    const big = (name: string) => ({
      metadata: { name },
      spec: {
        restartPolicy: "Never",
        containers: [
          { name: "c", image: "shell", args: ["sleep 30"], resources: { requests: { cpu: "6" } } },
        ],
      },
    });
    api.create(t().pods, "default", big("big-1"));
    api.create(t().pods, "default", big("big-2"));
    api.create(t().pods, "default", big("big-3"));
    await until(
      "two running",
      () => ["big-1", "big-2", "big-3"].filter((n) => phase(n) === "Running").length === 2,
    );
    const waiting = ["big-1", "big-2", "big-3"].find((n) => !nodeOf(n));
    expect(waiting).toBeDefined();
    const message = (get(waiting!)?.status as { conditions: { message: string }[] }).conditions.find(
      Boolean,
    )?.message;
    expect(message).toContain("Insufficient cpu");
    const running = ["big-1", "big-2", "big-3"].find((n) => phase(n) === "Running")!;
    cluster.faults.killPod("default", running, { exitCode: 1 });
    await until("third scheduled", () => nodeOf(waiting!) !== undefined);
  });
});
