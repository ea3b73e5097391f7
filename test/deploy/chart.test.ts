/**
 * The Helm chart with the real helm 4: lint, renders with default and non-default values, the schema
 * refusing bad values, the CRD copy in sync with crds/, the restricted Pod Security profile on the
 * operator's pod, and the rendered objects applied to the emulator with the real kubectl.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CRD_FILE } from "../../operator/spec/crd.ts";
import { kubectlFor, type Kubectl } from "../cluster/kubectl.ts";
import { startApiServer, type ApiServer } from "../cluster/server.ts";
import { serveChartKinds } from "../helpers/emulator-kinds.ts";
import { CHART, helm, render, type Manifest } from "../helpers/helm.ts";
import { restrictedViolations, type PodSpecLike } from "../helpers/pod-security.ts";

const documents = (objects: readonly object[]) => objects.map((o) => stringify(o)).join("---\n");

const find = (objects: Manifest[], kind: string, name?: string) =>
  objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));

interface DeploymentLike {
  spec: {
    replicas: number;
    template: {
      metadata: { labels: Record<string, string> };
      spec: PodSpecLike & {
        serviceAccountName: string;
        containers: (PodSpecLike["containers"][number] & {
          image: string;
          command: string[];
          args: string[];
          env: { name: string; value?: string }[];
          envFrom?: { secretRef: { name: string } }[];
          livenessProbe: { httpGet: { path: string; port: string } };
          readinessProbe: { httpGet: { path: string; port: string } };
          resources: { requests?: Record<string, string>; limits?: Record<string, string> };
        })[];
      };
    };
  };
}

function operatorContainer(objects: Manifest[]) {
  const [deployment] = find(objects, "Deployment") as unknown as DeploymentLike[];
  return { deployment: deployment!, container: deployment!.spec.template.spec.containers[0]! };
}

describe("helm chart", () => {
  it("lints clean with --strict, with default and non-default values", async () => {
    for (const extra of [[], ["--set", "operator.watchNamespace=eo,metrics.serviceMonitor.enabled=true"]]) {
      const r = await helm(["lint", "--strict", CHART, ...extra]);
      expect(r.stdout + r.stderr).not.toMatch(/\[(WARNING|ERROR)\]/);
      expect(r.stdout).toContain("0 chart(s) failed");
      expect(r.code).toBe(0);
    }
  });

  it("carries the CRD exactly as crds/ has it (npm run gen:crds, then copy)", async () => {
    const chartCopy = await readFile(join(CHART, "crds/imagechain.io_imagechains.yaml"), "utf8");
    expect(chartCopy).toBe(await readFile(CRD_FILE, "utf8"));
  });

  it("renders by default: two replicas with leader election, probes, all-namespace rights, a PDB", async () => {
    const objects = await render();
    const { deployment, container } = operatorContainer(objects);
    expect(deployment.spec.replicas).toBe(2);
    expect(container.command).toEqual(["node", "operator/cli/main.ts", "operator"]);
    expect(container.args).toEqual([
      "--image=ghcr.io/imagechain/imagechain:0.1.0",
      "--node-lost-after=5m",
      "--resync=5m",
      "--lease-namespace=imagechain-system",
      "--lease-duration=15s",
      "--renew-deadline=10s",
      "--retry-period=2s",
      "--metrics-port=8080",
      "--log-level=info",
    ]);
    expect(container.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "metrics" });
    expect(container.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "metrics" });
    expect(container.resources.requests).toEqual({ cpu: "100m", memory: "256Mi" });
    expect(container.envFrom).toBeUndefined();
    expect(find(objects, "ClusterRole").map((o) => o.metadata.name)).toEqual([
      "imagechain-chains",
      "imagechain-nodes",
    ]);
    expect(find(objects, "Role").map((o) => o.metadata.name)).toEqual(["imagechain-leader-election"]);
    // All namespaces: a worker ServiceAccount would have to exist in each, so there is none to name.
    expect(find(objects, "ServiceAccount").map((o) => o.metadata.name)).toEqual(["imagechain"]);
    expect(find(objects, "PodDisruptionBudget")).toHaveLength(1);
    expect(find(objects, "ServiceMonitor")).toHaveLength(0);
    expect(find(objects, "CustomResourceDefinition")).toHaveLength(0);
    expect(await render({ includeCrds: true })).toContainEqual(
      expect.objectContaining({ kind: "CustomResourceDefinition" }),
    );
  });

  it("renders non-default values: one namespace, worker image/command/account, S3, scratch, storage class, timings, ServiceMonitor, no PDB", async () => {
    const objects = await render({
      release: "ic",
      namespace: "ops",
      values: {
        replicaCount: 3,
        "operator.watchNamespace": "eo",
        "operator.scratchUri": "s3://scratch/ic/",
        "operator.s3": {
          credentialsSecret: "op-s3",
          endpoint: "http://minio.storage:9000",
          region: "eu-west-3",
        },
        "operator.metricsPort": 9090,
        "operator.leaderElection": { leaseDuration: "30s", renewDeadline: "20s", retryPeriod: "5s" },
        "operator.logLevel": "debug",
        "operator.nodeLostAfter": "90s",
        "operator.resync": "0",
        "operator.defaultStorageClass": "local-path",
        "worker.image": { repository: "registry.local/imagechain-worker", tag: "1.2.3" },
        "worker.command": "node /opt/worker/main.ts",
        "worker.serviceAccount.name": "eo-worker",
        "image.tag": "9.9.9",
        "metrics.serviceMonitor": { enabled: true, interval: "15s", labels: { release: "kps" } },
        "podDisruptionBudget.enabled": false,
      },
    });
    const { deployment, container } = operatorContainer(objects);
    expect(deployment.spec.replicas).toBe(3);
    expect(container.image).toBe("ghcr.io/imagechain/imagechain:9.9.9");
    expect(container.args).toEqual([
      "--image=registry.local/imagechain-worker:1.2.3",
      "--namespace=eo",
      "--scratch-uri=s3://scratch/ic/",
      "--worker-command=node /opt/worker/main.ts",
      "--worker-service-account=eo-worker",
      "--default-storage-class=local-path",
      "--node-lost-after=90s",
      "--resync=0",
      "--lease-namespace=ops",
      "--lease-duration=30s",
      "--renew-deadline=20s",
      "--retry-period=5s",
      "--metrics-port=9090",
      "--log-level=debug",
    ]);
    expect(container.envFrom).toEqual([{ secretRef: { name: "op-s3" } }]);
    expect(container.env).toEqual(
      expect.arrayContaining([
        { name: "AWS_ENDPOINT_URL_S3", value: "http://minio.storage:9000" },
        { name: "AWS_REGION", value: "eu-west-3" },
      ]),
    );
    // One namespace: the chain-side rights are a Role there; only Nodes stay cluster-wide.
    expect(find(objects, "Role").map((o) => [o.metadata.name, o.metadata.namespace])).toEqual([
      ["ic-imagechain", "eo"],
      ["ic-imagechain-leader-election", "ops"],
    ]);
    expect(find(objects, "ClusterRole").map((o) => o.metadata.name)).toEqual(["ic-imagechain-nodes"]);
    const [worker] = find(objects, "ServiceAccount", "eo-worker");
    expect(worker).toMatchObject({ metadata: { namespace: "eo" }, automountServiceAccountToken: false });
    const [monitor] = find(objects, "ServiceMonitor");
    expect(monitor).toMatchObject({
      metadata: { namespace: "ops", labels: { release: "kps" } },
      spec: { endpoints: [{ port: "metrics", path: "/metrics", interval: "15s" }] },
    });
    expect(find(objects, "Service")[0]).toMatchObject({
      spec: { ports: [{ port: 9090, targetPort: "metrics" }] },
    });
    expect(find(objects, "PodDisruptionBudget")).toHaveLength(0);
  });

  it.each([
    ["a ServiceAccount of one's own", { "worker.serviceAccount.create": false }, ["imagechain-worker"], []],
    ["none", { "worker.serviceAccount.name": "" }, [], []],
    ["the chart's", {}, ["imagechain-worker"], ["imagechain-worker"]],
  ])("names the worker ServiceAccount in one namespace only (%s)", async (_name, values, named, created) => {
    const objects = await render({ values: { "operator.watchNamespace": "eo", ...values } });
    const { container } = operatorContainer(objects);
    const flags = container.args.filter((a) => a.startsWith("--worker-service-account="));
    expect(flags.map((a) => a.split("=")[1])).toEqual(named);
    const accounts = find(objects, "ServiceAccount").filter((o) => o.metadata.namespace === "eo");
    expect(accounts.map((o) => o.metadata.name)).toEqual(created);
  });

  it.each([
    ["a replica count of 0", { replicaCount: 0 }],
    ["a namespace that is no DNS label", { "operator.watchNamespace": "Bad_NS" }],
    ["a lease duration that is no duration", { "operator.leaderElection.leaseDuration": "fifteen" }],
    ["a scratch URI that is not s3://", { "operator.scratchUri": "file:///tmp" }],
    ["an unknown value (a typo)", { "operator.watchNamespaces": "eo" }],
    ["metrics off (the probes need the port)", { "operator.metricsPort": 0 }],
    ["an unknown log level", { "operator.logLevel": "verbose" }],
    ["a node-lost delay in hours (the operator reads ms, s, m)", { "operator.nodeLostAfter": "1h" }],
    ["a resync that is no duration", { "operator.resync": "never" }],
    ["a storage class that is no DNS name", { "operator.defaultStorageClass": "Local Path" }],
    ["a worker ServiceAccount name that is no DNS label", { "worker.serviceAccount.name": "Worker_SA" }],
  ])("refuses %s (values.schema.json)", async (_name, values) => {
    await expect(render({ values })).rejects.toThrow(/values don't meet the specifications of the schema/);
  });

  it.each([
    ["default", {}],
    ["one namespace", { "operator.watchNamespace": "eo", "worker.serviceAccount.create": false }],
  ])("renders a pod that meets the restricted Pod Security Standard (%s)", async (_name, values) => {
    const { deployment, container } = operatorContainer(await render({ values }));
    const spec = deployment.spec.template.spec;
    expect(restrictedViolations(spec)).toEqual([]);
    // Read-only root with a writable /tmp (Node's compile cache, the AWS SDK).
    expect(container.securityContext?.readOnlyRootFilesystem).toBe(true);
    expect(spec.volumes).toContainEqual({ name: "tmp", emptyDir: { sizeLimit: "64Mi" } });
    // The checker is not vacuous: a privileged, root, hostPath pod is refused field by field.
    const bad: PodSpecLike = {
      ...spec,
      hostNetwork: true,
      securityContext: { runAsUser: 0 },
      containers: [
        { name: "x", securityContext: { privileged: true, capabilities: { add: ["SYS_ADMIN"] } } },
      ],
      volumes: [{ name: "h", hostPath: { path: "/" } }],
    };
    expect(restrictedViolations(bad)).toEqual([
      "spec.hostNetwork",
      "spec.volumes[h].hostPath",
      "spec.securityContext.runAsUser",
      "container x: securityContext.privileged",
      "container x: securityContext.allowPrivilegeEscalation must be false",
      "container x: securityContext.runAsNonRoot must be true (here or on the pod)",
      "container x: securityContext.seccompProfile must be RuntimeDefault or Localhost (here or on the pod)",
      "container x: securityContext.capabilities.drop must include ALL",
      "container x: securityContext.capabilities.add SYS_ADMIN",
    ]);
  });

  describe("applied to the emulator with kubectl", () => {
    let server: ApiServer;
    let kubectl: Kubectl;
    beforeAll(async () => {
      server = await startApiServer();
      serveChartKinds(server);
      kubectl = await kubectlFor(server.kubeconfig());
    });
    afterAll(async () => {
      await kubectl?.cleanup();
      await server?.stop();
    });

    it.each([
      ["default", "imagechain-system", {}],
      [
        "one namespace, ServiceMonitor",
        "ops",
        { "operator.watchNamespace": "eo", "metrics.serviceMonitor.enabled": true },
      ],
    ])("applies every rendered object (%s)", async (_name, namespace, values) => {
      const objects = await render({ namespace, values, includeCrds: true });
      const namespaces = ["imagechain-system", "ops", "eo"].map((name) => ({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name },
      }));
      await kubectl(["apply", "-f", "-"], documents(namespaces));
      const out = await kubectl(
        ["apply", "--server-side", "--field-manager=helm", "-f", "-"],
        documents(objects),
      );
      expect(out.trim().split("\n")).toHaveLength(objects.length);
      for (const o of objects) {
        const ref = [
          `${o.kind}.${o.apiVersion.split("/").slice(0, -1).join("/") || ""}`.replace(/\.$/, ""),
          o.metadata.name,
        ];
        const args = [
          "get",
          ref.join("/"),
          "-o",
          "json",
          ...(o.metadata.namespace ? ["-n", o.metadata.namespace] : []),
        ];
        const live = JSON.parse(await kubectl(args)) as Manifest;
        expect(live.metadata.labels).toEqual(o.metadata.labels);
      }
      await kubectl([
        "wait",
        "--for=condition=Established",
        "crd/imagechains.imagechain.io",
        "--timeout=10s",
      ]);
      expect(await kubectl(["get", "imagechains", "-A"], undefined)).toBe("");
    });
  });
});
