import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { chainConfigMap, chainConfigName } from "../../operator/kube/chain-config.ts";
import { laneClaim } from "../../operator/kube/lane-claim.ts";
import { batchPod, podName, type PodContext, type StartBatch } from "../../operator/kube/pods.ts";
import type { ImageChainSpec } from "../../operator/spec/schema.ts";
import { validateSpec } from "../../operator/spec/validate.ts";
import { smallPlan } from "../schedule/fixtures.ts";

const CHAIN = { name: "s2-ndvi", namespace: "eo", uid: "9f3c2a1b-0d4e-4b6f-8a7c-1e2d3c4b5a69" };
const PLAN = smallPlan();
const ACTION: StartBatch = { type: "StartBatch", batch: "l1-b7", lane: 1, attempt: 2, tasks: [8, 9, 10, 12] };

/** The small plan's spec with `execution` and `storage` changed (as a live spec may be). */
function specWith(over: {
  execution?: Record<string, unknown>;
  storage?: Record<string, unknown>;
}): ImageChainSpec {
  const { execution, storage, ...rest } = PLAN.spec;
  const checked = validateSpec({
    ...rest,
    execution: { ...execution, ...over.execution },
    ...((over.storage ?? storage) ? { storage: over.storage ?? storage } : {}),
  });
  if (!checked.ok) throw new Error(JSON.stringify(checked.issues));
  return checked.value;
}

const pod = (ctx: Partial<PodContext> = {}, action = ACTION): V1Pod =>
  batchPod(CHAIN, PLAN, action, { spec: PLAN.spec, image: "ghcr.io/imagechain/imagechain:0.1.0", ...ctx });

describe("batch pods", () => {
  it("is named, labelled and owned so that a restarted operator finds it", () => {
    const p = pod();
    expect(p.metadata!.name).toBe("s2-ndvi-9f3c2-l1-b7-a2");
    expect(p.metadata!.name).toBe(podName(CHAIN, "l1-b7", 2));
    expect(p.metadata!.namespace).toBe("eo");
    expect(p.metadata!.labels).toEqual({
      "app.kubernetes.io/name": "imagechain",
      "app.kubernetes.io/component": "worker",
      "app.kubernetes.io/managed-by": "imagechain-operator",
      "imagechain.io/chain": "s2-ndvi",
      "imagechain.io/chain-uid": CHAIN.uid,
      "imagechain.io/lane": "1",
      "imagechain.io/batch": "l1-b7",
      "imagechain.io/attempt": "2",
    });
    expect(p.metadata!.annotations).toEqual({
      "cluster-autoscaler.kubernetes.io/safe-to-evict": "true",
      "imagechain.io/tasks": "8-10,12",
    });
    expect(p.metadata!.ownerReferences).toEqual([
      {
        apiVersion: "imagechain.io/v1alpha1",
        kind: "ImageChain",
        name: "s2-ndvi",
        uid: CHAIN.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
  });

  it("runs the worker's pod entry on the batch, with the chain file from the chain's ConfigMap", () => {
    const spec = pod().spec!;
    expect(spec.restartPolicy).toBe("Never");
    const [c] = spec.containers;
    expect(c!.image).toBe("ghcr.io/imagechain/imagechain:0.1.0");
    expect([...c!.command!, ...c!.args!]).toEqual([
      ...["node", "worker/main.ts", "run", "--chain", "/etc/imagechain/chain.yaml"],
      ...["--lanes", "2", "--lane", "1", "--tasks", "8-10,12", "--scratch", "/scratch"],
    ]);
    expect(spec.volumes!.find((v) => v.name === "chain")).toEqual({
      name: "chain",
      configMap: { name: "s2-ndvi-9f3c2-chain" },
    });
    expect(c!.volumeMounts).toContainEqual({ name: "chain", mountPath: "/etc/imagechain", readOnly: true });
  });

  it("meets the restricted Pod Security profile", () => {
    const spec = pod().spec!;
    const c = spec.containers[0]!;
    const runAsNonRoot = c.securityContext?.runAsNonRoot ?? spec.securityContext?.runAsNonRoot;
    const seccomp = c.securityContext?.seccompProfile?.type ?? spec.securityContext?.seccompProfile?.type;
    expect(runAsNonRoot).toBe(true);
    expect(spec.securityContext!.runAsUser).toBeGreaterThan(0);
    expect(seccomp).toBe("RuntimeDefault");
    expect(c.securityContext!.allowPrivilegeEscalation).toBe(false);
    expect(c.securityContext!.capabilities).toEqual({ drop: ["ALL"] });
    expect(c.securityContext!.readOnlyRootFilesystem).toBe(true);
    expect(c.securityContext!.privileged).toBeUndefined();
    expect(spec.hostNetwork ?? spec.hostPID ?? spec.hostIPC).toBeUndefined();
    // Restricted allows only these volume types; /tmp is writable though the root is not.
    for (const v of spec.volumes!)
      expect(Object.keys(v).filter((k) => k !== "name")).toEqual([
        expect.stringMatching(/^(configMap|emptyDir|persistentVolumeClaim|secret)$/),
      ]);
    expect(c.volumeMounts).toContainEqual({ name: "tmp", mountPath: "/tmp" });
    expect(spec.volumes).toContainEqual({ name: "tmp", emptyDir: {} });
  });

  it.each([
    [
      "volume (the lane's claim, by generation)",
      "volume",
      { volume: 2 },
      {
        persistentVolumeClaim: { claimName: "s2-ndvi-9f3c2-l1-v2" },
      },
    ],
    [
      "hostPath",
      "hostPath",
      { hostPathRoot: "/data/ic/" },
      {
        hostPath: { path: "/data/ic/eo/s2-ndvi-9f3c2-l1-v0", type: "DirectoryOrCreate" },
      },
    ],
    ["none (the pod's own)", "none", {}, { emptyDir: { sizeLimit: "20Gi" } }],
  ] as const)("scratch %s", (_, mode, ctx, source) => {
    const spec = specWith({ execution: { scratch: { mode } } });
    const p = pod({ spec, ...ctx }).spec!;
    expect(p.volumes).toContainEqual({ name: "scratch", ...source });
    expect(p.containers[0]!.volumeMounts).toContainEqual({ name: "scratch", mountPath: "/scratch" });
  });

  it.each([
    ["unknown node: free to go anywhere the class allows", undefined, undefined],
    ["null node", null, undefined],
    ["known node: pinned to it", "node-2", ["node-2"]],
  ])("affinity, %s", (_, laneNode, values) => {
    const affinity = pod({ laneNode }).spec!.affinity;
    if (values === undefined) expect(affinity).toBeUndefined();
    else
      expect(
        affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms,
      ).toEqual([{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values }] }]);
  });

  it("defaults resources a cluster autoscaler can act on; pod scratch asks for its disk", () => {
    expect(pod().spec!.containers[0]!.resources).toEqual({
      requests: { cpu: "1", memory: "1Gi" },
      limits: { memory: "2Gi" },
    });
    const none = specWith({ execution: { scratch: { mode: "none", size: "5Gi" } } });
    expect(pod({ spec: none }).spec!.containers[0]!.resources!.requests).toEqual({
      cpu: "1",
      memory: "1Gi",
      "ephemeral-storage": "5Gi",
    });
  });

  it("carries the worker settings of the live spec", () => {
    const worker = {
      image: "registry.local/ic:dev",
      resources: { requests: { cpu: "2", memory: "4Gi" }, limits: { memory: "4Gi" } },
      nodeSelector: { pool: "spot" },
      tolerations: [{ key: "spot", operator: "Exists", effect: "NoSchedule" }],
      priorityClassName: "batch-low",
      queueName: "eo-queue",
    };
    const p = pod({ spec: specWith({ execution: { worker } }) });
    const s = p.spec!;
    expect(s.containers[0]!.image).toBe("registry.local/ic:dev");
    expect(s.containers[0]!.resources).toEqual(worker.resources);
    expect(s.nodeSelector).toEqual({ pool: "spot" });
    expect(s.tolerations).toEqual(worker.tolerations);
    expect(s.priorityClassName).toBe("batch-low");
    expect(p.metadata!.labels!["kueue.x-k8s.io/queue-name"]).toBe("eo-queue");
    // Absent settings leave no trace.
    const plain = pod().spec!;
    expect([plain.nodeSelector, plain.tolerations, plain.priorityClassName]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect(pod().metadata!.labels).not.toHaveProperty("kueue.x-k8s.io/queue-name");
  });

  it("takes S3 credentials from the named Secret", () => {
    const spec = specWith({
      storage: { s3: { endpoint: "http://minio:9000", credentialsSecret: "s3-creds" } },
    });
    const env = pod({ spec }).spec!.containers[0]!.env!;
    const ref = (key: string, optional?: boolean) => ({
      name: key,
      valueFrom: { secretKeyRef: { name: "s3-creds", key, ...(optional ? { optional } : {}) } },
    });
    expect(env).toEqual([
      { name: "HOME", value: "/tmp" },
      ref("AWS_ACCESS_KEY_ID"),
      ref("AWS_SECRET_ACCESS_KEY"),
      ref("AWS_SESSION_TOKEN", true),
    ]);
    expect(pod().spec!.containers[0]!.env).toEqual([{ name: "HOME", value: "/tmp" }]);
  });

  it("is the same object for the same inputs (reconciling twice creates nothing twice)", () => {
    expect(pod({ laneNode: "node-1" })).toEqual(pod({ laneNode: "node-1" }));
  });
});

describe("lane claims", () => {
  it("asks for the scratch size in the class, once per lane and generation", () => {
    const spec = specWith({ execution: { scratch: { storageClassName: "local-path", size: "50Gi" } } });
    const claim = laneClaim(CHAIN, 3, spec, 1);
    expect(claim.metadata!.name).toBe("s2-ndvi-9f3c2-l3-v1");
    expect(claim.metadata!.labels).toMatchObject({
      "imagechain.io/lane": "3",
      "imagechain.io/chain-uid": CHAIN.uid,
    });
    expect(claim.metadata!.ownerReferences![0]!.uid).toBe(CHAIN.uid);
    expect(claim.spec).toEqual({
      accessModes: ["ReadWriteOnce"],
      volumeMode: "Filesystem",
      storageClassName: "local-path",
      resources: { requests: { storage: "50Gi" } },
    });
    expect(laneClaim(CHAIN, 3, PLAN.spec).spec).not.toHaveProperty("storageClassName");
    expect(laneClaim(CHAIN, 3, PLAN.spec).metadata!.name).toBe("s2-ndvi-9f3c2-l3-v0");
  });
});

describe("the chain's ConfigMap", () => {
  it("holds the whole spec as an ImageChain document that validates to the same spec", () => {
    const cm = chainConfigMap(CHAIN, PLAN.spec);
    expect(cm.metadata!.name).toBe(chainConfigName(CHAIN));
    expect(cm.metadata!.ownerReferences![0]!.kind).toBe("ImageChain");
    const doc = parseYaml(cm.data!["chain.yaml"]!) as { kind: string; spec: unknown };
    expect(doc.kind).toBe("ImageChain");
    const checked = validateSpec(doc.spec);
    expect(checked.ok && checked.value).toEqual(PLAN.spec);
  });
});
