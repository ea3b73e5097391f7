/** The real kubectl 1.33 against the emulator: apply, get (columns, yaml, watch), label, wait, delete --wait, describe. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { startApiServer, type ApiServer } from "./server.ts";
import { kubectlFor, type Kubectl } from "./kubectl.ts";
import { requestJson, until } from "./testing.ts";

let server: ApiServer;
let kubectl: Kubectl;

beforeAll(async () => {
  server = await startApiServer();
  kubectl = await kubectlFor(server.kubeconfig());
});
afterAll(async () => {
  await server.stop();
  await kubectl.cleanup();
});

const crd = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: chains.demo.io }
spec:
  group: demo.io
  scope: Namespaced
  names: { plural: chains, singular: chain, kind: Chain, shortNames: [ch] }
  versions:
    - name: v1alpha1
      served: true
      storage: true
      subresources: { status: {} }
      additionalPrinterColumns:
        - { name: Phase, type: string, jsonPath: .status.phase }
        - { name: Progress, type: string, jsonPath: .status.progress }
        - { name: Age, type: date, jsonPath: .metadata.creationTimestamp }
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [tiles]
              properties:
                tiles: { type: integer, minimum: 1 }
                suspend: { type: boolean, default: false }
            status:
              type: object
              x-kubernetes-preserve-unknown-fields: true
`;

const chain = (tiles: number) => `
apiVersion: demo.io/v1alpha1
kind: Chain
metadata: { name: c1, labels: { team: eo } }
spec: { tiles: ${tiles} }
`;

const CHAINS = "/apis/demo.io/v1alpha1/namespaces/default/chains";

async function setStatus(name: string, status: object): Promise<void> {
  const current = await requestJson(server, "GET", `${CHAINS}/${name}`);
  const reply = await requestJson(server, "PUT", `${CHAINS}/${name}/status`, { ...current.body, status });
  expect(reply.status).toBe(200);
}

describe("kubectl", () => {
  it("applies a CRD and waits for it to be established", async () => {
    expect(await kubectl(["apply", "-f", "-"], crd)).toContain(
      "customresourcedefinition.apiextensions.k8s.io/chains.demo.io created",
    );
    expect(
      await kubectl(["wait", "--for=condition=Established", "crd/chains.demo.io", "--timeout=10s"]),
    ).toContain("condition met");
  });

  it("applies a custom resource, then re-applies a change", async () => {
    expect(await kubectl(["apply", "-f", "-"], chain(4))).toContain("chain.demo.io/c1 created");
    expect(await kubectl(["apply", "-f", "-"], chain(8))).toContain("chain.demo.io/c1 configured");
    expect(await kubectl(["apply", "-f", "-"], chain(8))).toContain("chain.demo.io/c1 unchanged");
    const yaml = parse(await kubectl(["get", "chain", "c1", "-o", "yaml"]));
    expect(yaml.spec).toEqual({ tiles: 8, suspend: false });
    expect(yaml.metadata.generation).toBe(2);
    expect(yaml.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]).toContain(
      '"tiles":8',
    );
  });

  it("reports server-side validation errors", async () => {
    await expect(kubectl(["apply", "-f", "-"], chain(0))).rejects.toThrow(/spec.tiles: Invalid value: 0/);
  });

  it("shows the printer columns", async () => {
    await setStatus("c1", { phase: "Running", progress: "3/8" });
    const lines = (await kubectl(["get", "chains"])).trim().split("\n");
    expect(lines[0].split(/\s+/)).toEqual(["NAME", "PHASE", "PROGRESS", "AGE"]);
    expect(lines[1].split(/\s+/).slice(0, 3)).toEqual(["c1", "Running", "3/8"]);
    expect((await kubectl(["get", "ch", "-l", "team=eo", "-o", "name"])).trim()).toBe("chain.demo.io/c1");
  });

  it("streams changes with get -w", async () => {
    const child = kubectl.spawn(["get", "chains", "-w", "--no-headers"]);
    const out: string[] = [];
    child.stdout?.on("data", (d: Buffer) => out.push(d.toString()));
    try {
      await until("initial row", () => out.join("").includes("Running"));
      await setStatus("c1", { phase: "Succeeded", progress: "8/8" });
      await until("watched update", () => out.join("").includes("Succeeded"));
      expect(out.join("")).toMatch(/c1\s+Succeeded\s+8\/8/);
    } finally {
      child.kill();
      await new Promise((r) => child.once("close", r));
    }
  });

  it("labels objects", async () => {
    expect(await kubectl(["label", "chain", "c1", "stage=prod"])).toContain("chain.demo.io/c1 labeled");
    const got = parse(await kubectl(["get", "chain", "c1", "-o", "yaml"]));
    expect(got.metadata.labels).toEqual({ team: "eo", stage: "prod" });
    await kubectl(["label", "chain", "c1", "stage-"]);
    expect(parse(await kubectl(["get", "chain", "c1", "-o", "yaml"])).metadata.labels).toEqual({
      team: "eo",
    });
  });

  it("waits for a condition set later", async () => {
    const waiting = kubectl(["wait", "--for=condition=Complete", "chain/c1", "--timeout=15s"]);
    await new Promise((r) => setTimeout(r, 300));
    await setStatus("c1", {
      phase: "Succeeded",
      conditions: [
        {
          type: "Complete",
          status: "True",
          reason: "Done",
          message: "",
          lastTransitionTime: new Date().toISOString(),
        },
      ],
    });
    expect(await waiting).toContain("condition met");
  });

  it("applies server-side", async () => {
    const out = await kubectl(["apply", "--server-side", "-f", "-"], chain(9));
    expect(out).toContain("serverside-applied");
    expect(parse(await kubectl(["get", "chain", "c1", "-o", "yaml"])).spec.tiles).toBe(9);
  });

  it("deletes and waits until finalizers are released", async () => {
    const patch = JSON.stringify({ metadata: { finalizers: ["demo.io/cleanup"] } });
    await kubectl(["patch", "chain", "c1", "--type=merge", "-p", patch]);
    const deleting = kubectl(["delete", "chain", "c1", "--wait", "--timeout=15s"]);
    await until("deletion started", async () => {
      const got = await requestJson(server, "GET", `${CHAINS}/c1`);
      return (got.body.metadata as { deletionTimestamp?: string }).deletionTimestamp !== undefined;
    });
    await kubectl([
      "patch",
      "chain",
      "c1",
      "--type=json",
      "-p",
      '[{"op":"remove","path":"/metadata/finalizers"}]',
    ]);
    expect(await deleting).toContain('chain.demo.io "c1" deleted');
    await expect(kubectl(["get", "chain", "c1"])).rejects.toThrow(/NotFound|not found/);
  });

  it("gets and describes built-in kinds", async () => {
    const pod = `
apiVersion: v1
kind: Pod
metadata: { name: p1 }
spec: { containers: [{ name: main, image: busybox }] }
`;
    expect(await kubectl(["apply", "-f", "-"], pod)).toContain("pod/p1 created");
    // A re-apply of a built-in kind goes through a strategic merge patch keyed by container name.
    const changed = pod.replace("image: busybox", "image: busybox:1.37");
    expect(await kubectl(["apply", "-f", "-"], changed)).toContain("pod/p1 configured");
    const applied = parse(await kubectl(["get", "pod", "p1", "-o", "yaml"]));
    expect(applied.spec.containers).toHaveLength(1);
    expect(applied.spec.containers[0]).toMatchObject({ name: "main", image: "busybox:1.37" });
    // Other pod spec fields are immutable, as on a real API server.
    const forbidden = pod.replace("image: busybox", "image: busybox, env: [{ name: A, value: x }]");
    await expect(kubectl(["apply", "-f", "-"], forbidden)).rejects.toThrow(
      /pod updates may not change fields/,
    );
    const created = await requestJson(server, "GET", "/api/v1/namespaces/default/pods/p1");
    const uid = (created.body.metadata as { uid: string }).uid;
    const reply = await requestJson(server, "POST", "/api/v1/namespaces/default/events", {
      metadata: { name: "p1.1" },
      involvedObject: { kind: "Pod", name: "p1", namespace: "default", uid },
      reason: "Scheduled",
      message: "assigned to node-1",
      type: "Normal",
      firstTimestamp: new Date().toISOString(),
      lastTimestamp: new Date().toISOString(),
      count: 1,
      source: { component: "default-scheduler" },
    });
    expect(reply.status).toBe(201);
    const table = (await kubectl(["get", "pods"])).trim().split("\n");
    expect(table[0].split(/\s+/)).toEqual(["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
    expect(table[1].split(/\s+/).slice(0, 4)).toEqual(["p1", "0/1", "Pending", "0"]);
    const described = await kubectl(["describe", "pod", "p1"]);
    expect(described).toMatch(/Name:\s+p1/);
    expect(described).toMatch(/Status:\s+Pending/);
    expect(described).toMatch(/Scheduled\s+.*assigned to node-1/);
  });
});
