/**
 * The chart's operator Deployment run against the emulator: its objects applied with the real kubectl,
 * its container (command, args, env, probes) started as a local process with the kubeconfig of a
 * recording proxy in front of the emulator. It reconciles a chain to Succeeded, a failing one to Failed,
 * and a deleted one away; then what it did is compared with what the chart grants it (nothing missing,
 * nothing extra), every worker pod it made is checked against the restricted Pod Security Standard, and
 * none of the objects it made carries the Argo CD tracking metadata of its chain; the Argo CD health check
 * reads the live statuses as Healthy and Degraded.
 *
 * The container's own command (`node operator/cli/main.ts operator …`) is run as is first: it takes the
 * Lease, answers its probes and releases the Lease on SIGTERM. The chains are then reconciled by the same
 * CLI function with the same args from operator-process.ts, because the worker pods the operator makes run
 * `node worker/main.ts` relative to the image's working directory, which an emulated pod (a process in
 * its pod directory) cannot resolve; operator-process.ts only points them at this checkout's worker.
 */
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { CustomObjectsApi } from "@kubernetes/client-node";
import { spawn, type ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { KIND } from "../../operator/kube/meta.ts";
import { kubeConfigOf, until } from "../cluster/testing.ts";
import type { KubeObject } from "../cluster/resources.ts";
import { argoHealth } from "../helpers/argocd-health.ts";
import { serveChartKinds } from "../helpers/emulator-kinds.ts";
import { render, type Manifest } from "../helpers/helm.ts";
import { startWorld, type World } from "../helpers/operator-world.ts";
import { restrictedViolations, type PodSpecLike } from "../helpers/pod-security.ts";
import { allowedBy, grantsOf, resourceRequest, ruleAllows, type ResourceRequest } from "../helpers/rbac.ts";
import { startRecordingProxy, type RecordingProxy } from "../helpers/recording-proxy.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const RELEASE_NS = "imagechain-system";
/** Argo CD's tracking metadata (label and annotation tracking) on the chain, as an Application applies it. */
const ARGO_LABELS = { "app.kubernetes.io/instance": "eo-pipelines" };
const ARGO_ANNOTATIONS = {
  "argocd.argoproj.io/tracking-id": "eo-pipelines:imagechain.io/ImageChain:default/argo-ndvi",
  "argocd.argoproj.io/sync-wave": "1",
};

interface Container {
  name: string;
  command: string[];
  args: string[];
  env: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  envFrom?: { secretRef: { name: string } }[];
  ports: { name: string; containerPort: number }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
}

interface Chain {
  metadata: { name: string; finalizers?: string[] };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
}

let world: World;
let proxy: RecordingProxy;
let objects: Manifest[];
let container: Container;
let env: Record<string, string>;
let kubeconfig: string;
let metricsPort: number;
let operator: ChildProcess | undefined;
let operatorLog = "";
/** Every version of every object a chain owns, as the emulator stored it. */
const owned: KubeObject[] = [];

const freePort = () =>
  new Promise<number>((done) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => done(port));
    });
  });

/** The container's environment as the kubelet would resolve it: downward API and the Secret it names. */
async function containerEnv(c: Container): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    const secret = JSON.parse(
      await world.kubectl(["get", "secret", from.secretRef.name, "-n", RELEASE_NS, "-o", "json"]),
    ) as { data: Record<string, string> };
    for (const [k, v] of Object.entries(secret.data)) out[k] = Buffer.from(v, "base64").toString();
  }
  for (const e of c.env) {
    if (e.valueFrom?.fieldRef?.fieldPath === "metadata.namespace") out[e.name] = RELEASE_NS;
    else if (e.value !== undefined) out[e.name] = e.value;
    else throw new Error(`env ${e.name}: a source this test does not resolve`);
  }
  return out;
}

function start(argv: string[], hostname: string): ChildProcess {
  const child = spawn(process.execPath, argv, {
    cwd: ROOT, // the image's WORKDIR holds package.json, operator/ and worker/, as the checkout does
    env: { PATH: process.env.PATH ?? "", HOME: "/tmp", ...env, HOSTNAME: hostname, KUBECONFIG: kubeconfig },
  });
  child.stderr!.on("data", (d: Buffer) => (operatorLog += d.toString()));
  return child;
}

const exitOf = (child: ChildProcess) =>
  new Promise<number | null>((done) => {
    if (child.exitCode !== null) done(child.exitCode);
    else child.once("exit", (code) => done(code));
  });

async function lease(): Promise<{ holderIdentity?: string }> {
  const out = await world.kubectl(["get", "lease", "imagechain-operator", "-n", RELEASE_NS, "-o", "json"]);
  return (JSON.parse(out) as { spec: { holderIdentity?: string } }).spec;
}

const custom = () => kubeConfigOf(world.cluster.server).makeApiClient(CustomObjectsApi);
const ref = (name: string) => ({
  group: "imagechain.io",
  version: "v1alpha1",
  namespace: "default",
  plural: "imagechains",
  name,
});
async function chain(name: string): Promise<Chain | null> {
  try {
    return (await custom().getNamespacedCustomObject(ref(name))) as Chain;
  } catch {
    return null;
  }
}
async function phaseOf(name: string, phase: string, timeoutMs: number): Promise<Chain> {
  return until(
    `${name} ${phase}`,
    async () => {
      const c = await chain(name);
      if (c?.status?.phase === phase) return c;
      await new Promise((r) => setTimeout(r, 100));
      return undefined;
    },
    timeoutMs,
  );
}

beforeAll(async () => {
  world = await startWorld();
  serveChartKinds(world.cluster.server);
  proxy = await startRecordingProxy(world.cluster.server.url);
  kubeconfig = join(world.kubectl.dir, "operator-kubeconfig");
  await writeFile(kubeconfig, proxy.kubeconfig());
  metricsPort = await freePort();
  objects = await render({
    namespace: RELEASE_NS,
    values: {
      "operator.watchNamespace": "default",
      "operator.s3.credentialsSecret": "s3-creds",
      "operator.metricsPort": metricsPort,
      // The worker image the emulator maps to a local command.
      "worker.image": { repository: "imagechain/worker", tag: "dev" },
      "metrics.serviceMonitor.enabled": true,
    },
  });
  const docs = (list: readonly object[]) => list.map((o) => stringify(o)).join("---\n");
  await world.kubectl(
    ["apply", "-f", "-"],
    docs([{ apiVersion: "v1", kind: "Namespace", metadata: { name: RELEASE_NS } }]),
  );
  // The operator's S3 credentials, which the chart's envFrom names, in its own namespace.
  await world.kubectl(["apply", "-f", "-"], world.secret(RELEASE_NS));
  await world.kubectl(["apply", "--server-side", "--field-manager=helm", "-f", "-"], docs(objects));
  const deployment = objects.find((o) => o.kind === "Deployment") as unknown as {
    spec: { template: { spec: { containers: Container[] } } };
  };
  container = deployment.spec.template.spec.containers[0]!;
  env = await containerEnv(container);
  world.cluster.server.store.subscribe((e) => {
    const refs = (e.object.metadata as { ownerReferences?: { kind: string }[] }).ownerReferences;
    if (e.type !== "DELETED" && refs?.some((r) => r.kind === KIND)) owned.push(structuredClone(e.object));
  });
}, 120_000);

afterAll(async () => {
  if (operator && operator.exitCode === null) {
    operator.kill("SIGTERM");
    await exitOf(operator);
  }
  await proxy?.stop();
  await world?.stop();
});

describe("the chart's operator Deployment on the emulator", () => {
  it("runs its container command as is: takes the Lease, answers its probes, releases the Lease on SIGTERM", async () => {
    expect(container.command.slice(0, 2)).toEqual(["node", "operator/cli/main.ts"]);
    expect(container.args).toEqual(
      expect.arrayContaining([
        "--worker-service-account=imagechain-worker",
        "--node-lost-after=5m",
        "--resync=5m",
        "--log-level=info",
      ]),
    );
    const child = start([...container.command.slice(1), ...container.args], "imagechain-smoke");
    try {
      const holder = await until(
        "the Lease taken",
        async () => {
          const got = await lease().catch(() => ({ holderIdentity: undefined }));
          return got.holderIdentity?.startsWith("imagechain-smoke_") ? got.holderIdentity : undefined;
        },
        20_000,
      );
      expect(holder).toMatch(/^imagechain-smoke_[0-9a-f]{8}$/);
      const port = container.ports.find(
        (p) => p.name === container.livenessProbe.httpGet.port,
      )!.containerPort;
      const probe = async (path: string) => (await fetch(`http://127.0.0.1:${port}${path}`)).status;
      expect(container.livenessProbe.httpGet.path).toBe("/healthz");
      expect(await probe(container.livenessProbe.httpGet.path)).toBe(200);
      // The leader is unready (503) only until its caches are filled, which takes a moment at most.
      expect(container.readinessProbe.httpGet.path).toBe("/readyz");
      const ready = await until(
        "ready",
        async () => {
          const status = await probe(container.readinessProbe.httpGet.path);
          expect([200, 503]).toContain(status);
          if (status === 200) return status;
          await new Promise((r) => setTimeout(r, 100));
          return undefined;
        },
        20_000,
      );
      expect(ready).toBe(200);
      expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toContain("process_cpu");
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exitOf(child)).toBe(0);
    expect((await lease()).holderIdentity ?? "").toBe("");
  }, 40_000);

  it("reconciles a chain to Succeeded, a failing one to Failed and a deleted one away", async () => {
    operator = start(["test/deploy/operator-process.ts", ...container.args], "imagechain-0");
    const argo = world.chainDoc("argo-ndvi", "s3://out/argo-ndvi.tif");
    const doomed = world.chainDoc("fail-ndvi", "s3://out/fail-ndvi.tif", {
      execution: { retries: { limit: 0, backoffSeconds: 0.1 } },
    });
    const docs = [
      { ...argo, metadata: { ...argo.metadata, labels: ARGO_LABELS, annotations: ARGO_ANNOTATIONS } },
      doomed,
    ];
    await world.kubectl(["apply", "-f", "-"], docs.map((d) => stringify(d)).join("---\n"));
    const done = await phaseOf("argo-ndvi", "Succeeded", 50_000);
    expect(argoHealth(done).status).toBe("Healthy");
    const object = await world.s3.client.send(new GetObjectCommand({ Bucket: "out", Key: "argo-ndvi.tif" }));
    const bytes = Buffer.from(await object.Body!.transformToByteArray());
    // A little-endian classic or BigTIFF header: the worker's COG assembly ran to the end.
    expect(bytes.subarray(0, 4).toString("hex")).toMatch(/^4949(2a00|2b00)$/);
    expect(bytes.length).toBeGreaterThan(1000);
    const failed = await phaseOf("fail-ndvi", "Failed", 20_000);
    const condition = failed.status!.conditions!.find((c) => c.type === "Failed")!;
    expect(condition.status).toBe("True");
    expect(condition.message).toMatch(/fail-ndvi-.*exit code 1/);
    expect(argoHealth(failed)).toEqual({ status: "Degraded", message: condition.message });
    await world.kubectl(["delete", "imagechain", "argo-ndvi", "--wait=false"]);
    await until(
      "argo-ndvi gone",
      async () => {
        await new Promise((r) => setTimeout(r, 100));
        return (await chain("argo-ndvi")) === null;
      },
      20_000,
    );
    expect(operatorLog).not.toMatch(/"level":50/);
  }, 90_000);

  it("made only worker pods that meet the restricted Pod Security Standard and that an autoscaler can act on", () => {
    const pods = owned.filter((o) => o.kind === "Pod");
    expect(pods.length).toBeGreaterThan(2);
    for (const pod of pods) {
      const spec = pod.spec as unknown as PodSpecLike & {
        automountServiceAccountToken?: boolean;
        serviceAccountName?: string;
        containers: { resources?: { requests?: Record<string, string> } }[];
      };
      expect([pod.metadata.name, restrictedViolations(spec)]).toEqual([pod.metadata.name, []]);
      expect(spec.automountServiceAccountToken).toBe(false);
      // The chart's worker ServiceAccount (no binding), which it created in the one watched namespace.
      expect(spec.serviceAccountName).toBe("imagechain-worker");
      // Pending pods scale a cluster up by their requests; the annotation lets it scale down.
      expect(Object.keys(spec.containers[0]!.resources?.requests ?? {}).sort()).toEqual(["cpu", "memory"]);
      expect(pod.metadata.annotations).toMatchObject({
        "cluster-autoscaler.kubernetes.io/safe-to-evict": "true",
      });
    }
  });

  it("never copied its chain's Argo CD tracking labels or annotations onto what it made", () => {
    const kinds = new Set(owned.map((o) => o.kind));
    expect([...kinds].sort()).toEqual(expect.arrayContaining(["ConfigMap", "Pod"]));
    for (const o of owned) {
      const labels = (o.metadata.labels ?? {}) as Record<string, string>;
      const annotations = (o.metadata.annotations ?? {}) as Record<string, string>;
      const keys = [...Object.keys(labels), ...Object.keys(annotations)];
      expect(keys.filter((k) => k.startsWith("argocd.argoproj.io/"))).toEqual([]);
      // Not even one of its own: Argo CD's label tracking reads app.kubernetes.io/instance.
      expect(labels["app.kubernetes.io/instance"]).toBeUndefined();
    }
  });

  it("used exactly the rights the chart grants: nothing missing, nothing extra, no wildcard, no Secret", () => {
    const account = { name: "imagechain", namespace: RELEASE_NS };
    const grants = grantsOf(objects, account);
    const used: ResourceRequest[] = [];
    for (const r of proxy.requests) {
      const rr = resourceRequest(r.method, r.path, r.query);
      expect(rr, `${r.method} ${r.path} is a resource request`).not.toBeNull();
      used.push(rr!);
    }
    const missing = used.filter((r) => allowedBy(grants, r).length === 0);
    expect(missing).toEqual([]);
    // The API server checks one right that no request names: setting blockOwnerDeletion on an owner
    // reference needs update on the owner's finalizers (OwnerReferencesPermissionEnforcement).
    const implied = [
      { verb: "update", group: "imagechain.io", resource: "imagechains/finalizers", namespace: "default" },
    ];
    const extra: string[] = [];
    for (const g of grants) {
      for (const rule of g.rules) {
        expect(rule.verbs).not.toContain("*");
        expect(rule.resources).not.toContain("*");
        expect(rule.apiGroups).not.toContain("*");
        expect(rule.resources!.filter((x) => x.startsWith("secrets"))).toEqual([]);
        for (const group of rule.apiGroups!)
          for (const resource of rule.resources!)
            for (const verb of rule.verbs) {
              const needed = [...used, ...implied].some(
                (r) =>
                  r.verb === verb &&
                  r.group === group &&
                  r.resource === resource &&
                  (g.namespace === undefined || g.namespace === r.namespace) &&
                  ruleAllows(rule, r),
              );
              if (!needed) extra.push(`${g.source}: ${verb} ${group}/${resource}`);
            }
      }
    }
    expect(extra).toEqual([]);
    // Watching every namespace grants the same rules, cluster-wide.
    return render({ namespace: RELEASE_NS }).then((all) => {
      const role = objects.find((o) => o.kind === "Role" && o.metadata.namespace === "default")!;
      const clusterRole = all.find(
        (o) => o.kind === "ClusterRole" && o.metadata.name === "imagechain-chains",
      )!;
      expect(clusterRole.rules).toEqual(role.rules);
    });
  });
});
