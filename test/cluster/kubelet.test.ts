/** Simulated nodes running real processes: pod phases, exit codes, restarts, volumes, env, graceful deletion, faults. */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type Cluster } from "./cluster.ts";
import type { KubeObject } from "./resources.ts";
import { until } from "./testing.ts";

let cluster: Cluster;
const ns = "default";

beforeAll(async () => {
  cluster = await startCluster({
    nodes: 2,
    images: { shell: { command: ["/bin/sh", "-c"], args: ["true"] } },
  });
});
afterAll(async () => cluster.stop());

const types = () => {
  const r = cluster.server.api.registry;
  return {
    pods: r.get("", "v1", "pods")!,
    cms: r.get("", "v1", "configmaps")!,
    secrets: r.get("", "v1", "secrets")!,
  };
};

function shellPod(
  name: string,
  script: string,
  extra: Record<string, unknown> = {},
  restartPolicy = "Never",
): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name },
    spec: {
      restartPolicy,
      terminationGracePeriodSeconds: 5,
      containers: [{ name: "main", image: "shell:1.0", args: [script], ...extra }],
    },
  };
}

const read = (name: string) => cluster.server.api.store.get("/pods", ns, name);
const phase = (name: string) => (read(name)?.status as { phase?: string } | undefined)?.phase;
const terminated = (name: string) =>
  ((
    read(name)?.status as {
      containerStatuses?: { state: { terminated?: { exitCode: number; reason: string } } }[];
    }
  )?.containerStatuses ?? [])[0]?.state.terminated;

describe("kubelet", () => {
  it("runs a pod to Succeeded and reports exit code 0 with reason Completed", async () => {
    cluster.server.api.create(types().pods, ns, shellPod("ok", "exit 0"));
    await until("Succeeded", () => phase("ok") === "Succeeded");
    expect(terminated("ok")).toMatchObject({ exitCode: 0, reason: "Completed" });
    expect((read("ok")?.spec as { nodeName?: string }).nodeName).toMatch(/^node-[01]$/);
  });

  it("reports a failing container as Failed with its exit code and reason Error", async () => {
    cluster.server.api.create(types().pods, ns, shellPod("bad", "exit 3"));
    await until("Failed", () => phase("bad") === "Failed");
    expect(terminated("bad")).toMatchObject({ exitCode: 3, reason: "Error" });
  });

  it("restarts under OnFailure until the container succeeds", async () => {
    const script = 'n=$(cat /data/n 2>/dev/null || echo 0); echo $((n+1)) > /data/n; [ "$n" -ge 2 ]';
    const pod = shellPod(
      "retry",
      script,
      { volumeMounts: [{ name: "data", mountPath: "/data" }] },
      "OnFailure",
    );
    (pod.spec as { volumes?: unknown[] }).volumes = [{ name: "data", emptyDir: {} }];
    cluster.server.api.create(types().pods, ns, pod);
    await until("Succeeded after restarts", () => phase("retry") === "Succeeded");
    const status = (read("retry")?.status as { containerStatuses: { restartCount: number }[] })
      .containerStatuses[0];
    expect(status.restartCount).toBe(2);
  });

  it("maps env, configMap and secret volumes and mount paths to node directories", async () => {
    const { api } = cluster.server;
    api.create(types().cms, ns, { metadata: { name: "settings" }, data: { greeting: "hello" } });
    api.create(types().secrets, ns, {
      metadata: { name: "creds" },
      data: { token: Buffer.from("s3cret").toString("base64") },
    });
    const pod = shellPod("env", 'echo "$GREETING $POD $(cat /etc/creds/token) $OUT" > /out/result', {
      env: [
        { name: "GREETING", valueFrom: { configMapKeyRef: { name: "settings", key: "greeting" } } },
        { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
        { name: "OUT", value: "/out/result" },
      ],
      volumeMounts: [
        { name: "out", mountPath: "/out" },
        { name: "creds", mountPath: "/etc/creds" },
      ],
    });
    (pod.spec as { volumes?: unknown[] }).volumes = [
      { name: "out", hostPath: { path: "/var/results" } },
      { name: "creds", secret: { secretName: "creds" } },
    ];
    api.create(types().pods, ns, pod);
    await until("Succeeded", () => phase("env") === "Succeeded");
    const node = (read("env")?.spec as { nodeName: string }).nodeName;
    const file = join(cluster.storage.nodeDir(node), "host", "var", "results", "result");
    expect(readFileSync(file, "utf8").trim()).toBe(`hello env s3cret ${file}`);
  });

  it("runs init containers in order before the containers, and fails the pod when one fails under Never", async () => {
    const withInit = (name: string, second: string) => {
      const p = shellPod(name, "echo main >> /work/trace", {
        volumeMounts: [{ name: "work", mountPath: "/work" }],
      });
      const spec = p.spec as Record<string, unknown>;
      spec.volumes = [{ name: "work", hostPath: { path: `/trace/${name}` } }];
      spec.initContainers = [
        {
          name: "first",
          image: "shell",
          args: ["echo first > /work/trace"],
          volumeMounts: [{ name: "work", mountPath: "/work" }],
        },
        {
          name: "second",
          image: "shell",
          args: [second],
          volumeMounts: [{ name: "work", mountPath: "/work" }],
        },
      ];
      return p;
    };
    const { api } = cluster.server;
    api.create(types().pods, ns, withInit("init-ok", "echo second >> /work/trace"));
    api.create(types().pods, ns, withInit("init-bad", "echo second >> /work/trace; exit 4"));
    await until("both terminal", () => phase("init-ok") === "Succeeded" && phase("init-bad") === "Failed");
    const trace = (name: string) => {
      const node = (read(name)?.spec as { nodeName: string }).nodeName;
      return readFileSync(join(cluster.storage.nodeDir(node), "host", "trace", name, "trace"), "utf8");
    };
    expect(trace("init-ok")).toBe("first\nsecond\nmain\n");
    expect(trace("init-bad")).toBe("first\nsecond\n");
    const init = (
      read("init-bad")?.status as {
        initContainerStatuses: { state: { terminated?: { exitCode: number } } }[];
      }
    ).initContainerStatuses;
    expect(init.map((c) => c.state.terminated?.exitCode)).toEqual([0, 4]);
  });

  it("keeps a pod Pending with ErrImagePull when its image is not mapped", async () => {
    cluster.server.api.create(types().pods, ns, {
      ...shellPod("noimage", "true"),
      spec: { containers: [{ name: "main", image: "unknown:1" }] },
    });
    await until("waiting reason", () => {
      const s = (
        read("noimage")?.status as { containerStatuses?: { state: { waiting?: { reason: string } } }[] }
      )?.containerStatuses;
      return s?.[0]?.state.waiting?.reason === "ErrImagePull";
    });
    expect(phase("noimage")).toBe("Pending");
  });

  it("deletes a running pod gracefully: SIGTERM, final status, then removal", async () => {
    const { api } = cluster.server;
    api.create(types().pods, ns, shellPod("graceful", "trap 'exit 0' TERM; while true; do sleep 0.05; done"));
    await until("Running", () => phase("graceful") === "Running");
    const uid = read("graceful")?.metadata.uid;
    api.delete(types().pods, ns, "graceful");
    const deleting = read("graceful");
    expect(deleting?.metadata.deletionTimestamp).toBeDefined();
    expect(deleting?.metadata.deletionGracePeriodSeconds).toBe(5);
    await until("removed", () => read("graceful") === undefined);
    expect(uid).toBeDefined();
  });

  it("kills a container that ignores SIGTERM once the grace period is over", async () => {
    const { api } = cluster.server;
    api.create(
      types().pods,
      ns,
      shellPod("stubborn", "trap '' TERM; touch trapped; while true; do sleep 0.05; done"),
    );
    await until("Running", () => phase("stubborn") === "Running");
    const pod = read("stubborn")!;
    const dir = join(
      cluster.storage.nodeDir((pod.spec as { nodeName: string }).nodeName),
      "pods",
      pod.metadata.uid ?? "",
    );
    await until("trap installed", () => existsSync(join(dir, "trapped")));
    const codes: number[] = [];
    const stop = api.store.subscribe((e) => {
      const t = (
        e.object.status as { containerStatuses?: { state: { terminated?: { exitCode: number } } }[] }
      )?.containerStatuses?.[0]?.state.terminated;
      if (e.key === "/pods" && e.object.metadata.name === "stubborn" && t) codes.push(t.exitCode);
    });
    api.delete(types().pods, ns, "stubborn", { gracePeriodSeconds: 1 });
    await until("removed", () => read("stubborn") === undefined);
    stop();
    expect(codes).toEqual([137]);
  });

  it("fails a pod that outlives activeDeadlineSeconds, without restarting it", async () => {
    const pod = shellPod("deadline", "sleep 30", {}, "Always");
    (pod.spec as { activeDeadlineSeconds?: number }).activeDeadlineSeconds = 1;
    cluster.server.api.create(types().pods, ns, pod);
    await until("Failed", () => phase("deadline") === "Failed");
    expect(read("deadline")?.status).toMatchObject({ reason: "DeadlineExceeded" });
    const status = (read("deadline")?.status as { containerStatuses: { restartCount: number }[] })
      .containerStatuses[0];
    expect(status.restartCount).toBe(0);
  });

  it("kills a pod's process as the OOM killer would", async () => {
    cluster.server.api.create(types().pods, ns, shellPod("oom", "sleep 30"));
    await until("Running", () => phase("oom") === "Running");
    cluster.faults.killPod(ns, "oom", { oomKilled: true });
    await until("Failed", () => phase("oom") === "Failed");
    expect(terminated("oom")).toMatchObject({ exitCode: 137, reason: "OOMKilled" });
  });

  it("evicts a pod with a DisruptionTarget condition", async () => {
    const { api } = cluster.server;
    api.create(types().pods, ns, shellPod("evictee", "trap 'exit 0' TERM; while true; do sleep 0.05; done"));
    await until("Running", () => phase("evictee") === "Running");
    const seen: string[] = [];
    const stop = api.store.subscribe((e) => {
      if (e.key === "/pods" && e.object.metadata.name === "evictee") {
        const c = (e.object.status as { conditions?: { type: string; reason?: string }[] }).conditions ?? [];
        const d = c.find((x) => x.type === "DisruptionTarget");
        if (d) seen.push(d.reason ?? "");
      }
    });
    cluster.faults.evictPod(ns, "evictee");
    await until("removed", () => read("evictee") === undefined);
    stop();
    expect(seen).toContain("EvictionByEvictionAPI");
  });
});

describe("cascading deletion of running pods", () => {
  it("stops the processes of pods whose owner is deleted", async () => {
    const { api } = cluster.server;
    const owner = api.create(types().cms, ns, { metadata: { name: "chain-owner" } });
    const ref = {
      apiVersion: "v1",
      kind: "ConfigMap",
      name: "chain-owner",
      uid: owner.metadata.uid ?? "",
      controller: true,
    };
    for (const name of ["owned-a", "owned-b"]) {
      const p = shellPod(name, "while true; do echo x >> beat; sleep 0.02; done");
      api.create(types().pods, ns, { ...p, metadata: { ...p.metadata, ownerReferences: [ref] } });
    }
    await until("running", () => phase("owned-a") === "Running" && phase("owned-b") === "Running");
    const beats = ["owned-a", "owned-b"].map((n) => {
      const pod = read(n)!;
      return join(
        cluster.storage.nodeDir((pod.spec as { nodeName: string }).nodeName),
        "pods",
        pod.metadata.uid ?? "",
        "beat",
      );
    });
    await until("both writing", () => beats.every((b) => existsSync(b)));
    api.delete(types().cms, ns, "chain-owner");
    await until("dependents gone", () => !read("owned-a") && !read("owned-b"));
    const sizes = beats.map((b) => readFileSync(b).length);
    await new Promise((r) => setTimeout(r, 100));
    expect(beats.map((b) => readFileSync(b).length)).toEqual(sizes);
  });
});

describe("namespace deletion", () => {
  it("stops the running pods of a deleted namespace, then removes it", async () => {
    const { api } = cluster.server;
    const namespaces = api.registry.get("", "v1", "namespaces")!;
    api.create(namespaces, undefined, { metadata: { name: "doomed-run" } });
    api.create(types().pods, "doomed-run", shellPod("worker", "while true; do sleep 0.05; done"));
    await until(
      "running",
      () =>
        (api.store.get("/pods", "doomed-run", "worker")?.status as { phase?: string })?.phase === "Running",
    );
    api.delete(namespaces, undefined, "doomed-run");
    await until(
      "namespace removed",
      () => api.store.get("/namespaces", undefined, "doomed-run") === undefined,
    );
    expect(api.store.list("/pods", "doomed-run")).toEqual([]);
  });
});

describe("node partition", () => {
  it("keeps processes running while cut off, then catches up when healed", async () => {
    const { api } = cluster.server;
    const onNode0 = (p: KubeObject) => {
      (p.spec as { nodeSelector?: Record<string, string> }).nodeSelector = {
        "kubernetes.io/hostname": "node-0",
      };
      return p;
    };
    api.create(
      types().pods,
      ns,
      onNode0(shellPod("cutoff-long", "while true; do echo x >> beat; sleep 0.02; done")),
    );
    api.create(
      types().pods,
      ns,
      onNode0(shellPod("cutoff-short", "while [ ! -f go ]; do sleep 0.02; done; touch done; exit 5")),
    );
    await until(
      "both running",
      () => phase("cutoff-long") === "Running" && phase("cutoff-short") === "Running",
    );
    const beat = join(
      cluster.storage.nodeDir("node-0"),
      "pods",
      read("cutoff-long")?.metadata.uid ?? "",
      "beat",
    );
    cluster.faults.partitionNode("node-0");
    api.delete(types().pods, ns, "cutoff-long");
    const size = () => (existsSync(beat) ? readFileSync(beat).length : 0);
    const before = size();
    await until("still writing while partitioned", () => size() > before + 20);
    // cutoff-short exits only once the partition is in place.
    const short = read("cutoff-short")!;
    const shortDir = join(cluster.storage.nodeDir("node-0"), "pods", short.metadata.uid ?? "");
    writeFileSync(join(shortDir, "go"), "");
    await until("exited while partitioned", () => existsSync(join(shortDir, "done")));
    await new Promise((r) => setTimeout(r, 100));
    // Nothing was reported during the partition: the exit of cutoff-short is unknown to the API.
    expect(phase("cutoff-short")).toBe("Running");
    expect(read("cutoff-long")?.metadata.deletionTimestamp).toBeDefined();
    cluster.faults.healNode("node-0");
    await until("exit reported", () => phase("cutoff-short") === "Failed");
    expect(terminated("cutoff-short")).toMatchObject({ exitCode: 5 });
    await until("deleted pod stopped and removed", () => read("cutoff-long") === undefined);
    const stopped = size();
    await new Promise((r) => setTimeout(r, 100));
    expect(size()).toBe(stopped);
  });
});

describe("node loss", () => {
  it("partitions then deletes a node: pods fail via PodGC and local data is gone", async () => {
    const { api } = cluster.server;
    const pod = shellPod("pinned", "sleep 30");
    (pod.spec as { nodeSelector?: Record<string, string> }).nodeSelector = {
      "kubernetes.io/hostname": "node-1",
    };
    api.create(types().pods, ns, pod);
    await until("Running", () => phase("pinned") === "Running");
    const nodeDir = cluster.storage.nodeDir("node-1");
    expect(existsSync(nodeDir)).toBe(true);
    cluster.faults.partitionNode("node-1");
    const node = api.store.get("/nodes", undefined, "node-1");
    const ready = (node?.status as { conditions: { type: string; status: string }[] }).conditions.find(
      (c) => c.type === "Ready",
    );
    expect(ready?.status).toBe("Unknown");
    expect(phase("pinned")).toBe("Running");
    const reasons: string[] = [];
    const stop = api.store.subscribe((e) => {
      if (e.key === "/pods" && e.object.metadata.name === "pinned")
        reasons.push(`${(e.object.status as { phase: string }).phase}`);
    });
    cluster.faults.deleteNode("node-1");
    await until("pod collected", () => read("pinned") === undefined);
    stop();
    expect(reasons).toContain("Failed");
    expect(existsSync(nodeDir)).toBe(false);
  });
});
