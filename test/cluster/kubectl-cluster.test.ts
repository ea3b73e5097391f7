/** kubectl against the simulated cluster: pods that really run, their logs, waiting on phase, graceful delete. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type Cluster } from "./cluster.ts";
import { kubectlFor, type Kubectl } from "./kubectl.ts";

let cluster: Cluster;
let kubectl: Kubectl;

beforeAll(async () => {
  cluster = await startCluster({ nodes: 2, images: { shell: { command: ["/bin/sh", "-c"] } } });
  kubectl = await kubectlFor(cluster.server.kubeconfig());
});
afterAll(async () => {
  await cluster.stop();
  await kubectl.cleanup();
});

const pod = (name: string, script: string) => `
apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 10
  containers: [{ name: main, image: shell, args: ["${script}"] }]
`;

describe("kubectl on simulated nodes", () => {
  it("runs a pod, waits for its phase and reads its logs", async () => {
    await kubectl(["apply", "-f", "-"], pod("hello", "echo hello from $HOSTNAME"));
    await kubectl(["wait", "--for=jsonpath={.status.phase}=Succeeded", "pod/hello", "--timeout=15s"]);
    expect((await kubectl(["logs", "hello"])).trim()).toBe("hello from hello");
    const described = await kubectl(["describe", "pod", "hello"]);
    expect(described).toMatch(
      /Normal\s+Scheduled\s+.*default-scheduler\s+Successfully assigned default\/hello to node-\d/,
    );
    expect(described).toMatch(/Normal\s+Started\s+.*kubelet\s+Started container main/);
    const wide = (await kubectl(["get", "pod", "hello", "-o", "wide", "--no-headers"])).trim().split(/\s+/);
    expect(wide.slice(0, 3)).toEqual(["hello", "0/1", "Completed"]);
    expect(wide).toContain(
      (await kubectl(["get", "pod", "hello", "-o", "jsonpath={.spec.nodeName}"])).trim(),
    );
  });

  it("deletes a running pod gracefully and waits for it to be gone", async () => {
    await kubectl(
      ["apply", "-f", "-"],
      pod("server", "trap 'echo bye; exit 0' TERM; while true; do sleep 0.05; done"),
    );
    await kubectl(["wait", "--for=condition=Ready", "pod/server", "--timeout=15s"]);
    expect(await kubectl(["delete", "pod", "server", "--wait", "--timeout=20s"])).toContain(
      'pod "server" deleted',
    );
    expect(cluster.server.api.store.get("/pods", "default", "server")).toBeUndefined();
  });

  it("cordons and drains a node: its pods are evicted and new pods go elsewhere", async () => {
    const pinned = pod("drained", "trap 'exit 0' TERM; while true; do sleep 0.05; done").replace(
      "restartPolicy: Never",
      "restartPolicy: Never\n  nodeSelector: { kubernetes.io/hostname: node-0 }",
    );
    await kubectl(["apply", "-f", "-"], pinned);
    await kubectl(["wait", "--for=condition=Ready", "pod/drained", "--timeout=15s"]);
    const out = await kubectl(["drain", "node-0", "--force", "--grace-period=5", "--timeout=30s"]);
    expect(out).toContain("node/node-0 drained");
    expect(cluster.server.api.store.get("/pods", "default", "drained")).toBeUndefined();
    const node = cluster.server.api.store.get("/nodes", undefined, "node-0");
    expect((node?.spec as { unschedulable?: boolean }).unschedulable).toBe(true);
    await kubectl(["apply", "-f", "-"], pod("after-drain", "true"));
    await kubectl(["wait", "--for=jsonpath={.status.phase}=Succeeded", "pod/after-drain", "--timeout=15s"]);
    expect((await kubectl(["get", "pod", "after-drain", "-o", "jsonpath={.spec.nodeName}"])).trim()).toBe(
      "node-1",
    );
    await kubectl(["uncordon", "node-0"]);
  });

  it("lists nodes as Ready", async () => {
    const lines = (await kubectl(["get", "nodes", "--no-headers"])).trim().split("\n");
    expect(lines.map((l) => l.split(/\s+/).slice(0, 2))).toEqual([
      ["node-0", "Ready"],
      ["node-1", "Ready"],
    ]);
  });
});
