/** Node objects, their leases, and the controllers around nodes: lifecycle (NotReady) and PodGC. */
import type { Api } from "./api.ts";
import { now } from "./clock.ts";
import { ApiError } from "./errors.ts";
import type { KubeObject, ResourceType } from "./resources.ts";
import type { Taint } from "./scheduling.ts";

export interface NodeSpec {
  readonly name: string;
  readonly zone?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly cpu?: string;
  readonly memory?: string;
  readonly pods?: number;
  readonly taints?: readonly Taint[];
}

function typeOf(api: Api, plural: string, group = ""): ResourceType {
  const t = api.registry.get(group, "v1", plural);
  if (!t) throw new Error(`${plural} are not registered`);
  return t;
}

function ignoreGone(e: unknown): void {
  if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) throw e;
}

function readyCondition(status: "True" | "Unknown", at: string) {
  return status === "True"
    ? {
        type: "Ready",
        status,
        reason: "KubeletReady",
        message: "kubelet is posting ready status",
        lastHeartbeatTime: at,
        lastTransitionTime: at,
      }
    : {
        type: "Ready",
        status,
        reason: "NodeStatusUnknown",
        message: "Kubelet stopped posting node status.",
        lastHeartbeatTime: at,
        lastTransitionTime: at,
      };
}

export function nodeObject(spec: NodeSpec, hostIp: string): KubeObject {
  const resources = {
    cpu: spec.cpu ?? "8",
    memory: spec.memory ?? "32Gi",
    pods: String(spec.pods ?? 110),
    "ephemeral-storage": "100Gi",
  };
  const at = now();
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: spec.name,
      labels: {
        "kubernetes.io/hostname": spec.name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        ...(spec.zone ? { "topology.kubernetes.io/zone": spec.zone } : {}),
        ...spec.labels,
      },
    },
    spec: spec.taints && spec.taints.length > 0 ? { taints: [...spec.taints] } : {},
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: [readyCondition("True", at)],
      addresses: [
        { type: "InternalIP", address: hostIp },
        { type: "Hostname", address: spec.name },
      ],
      nodeInfo: {
        kubeletVersion: "v1.33.0",
        containerRuntimeVersion: "emulator://1",
        operatingSystem: "linux",
        architecture: "amd64",
      },
    },
  };
}

export function registerNode(api: Api, spec: NodeSpec, hostIp: string): void {
  api.create(typeOf(api, "nodes"), undefined, nodeObject(spec, hostIp));
  api.create(typeOf(api, "leases", "coordination.k8s.io"), "kube-node-lease", {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name: spec.name },
    spec: { holderIdentity: spec.name, leaseDurationSeconds: 40, renewTime: new Date().toISOString() },
  });
}

export function renewLease(api: Api, node: string): void {
  const leases = typeOf(api, "leases", "coordination.k8s.io");
  const lease = api.store.get("coordination.k8s.io/leases", "kube-node-lease", node);
  if (!lease) return;
  api.update(leases, "kube-node-lease", node, {
    ...lease,
    spec: { ...(lease.spec as object), renewTime: new Date().toISOString() },
  });
}

const UNREACHABLE: Taint[] = [
  { key: "node.kubernetes.io/unreachable", effect: "NoSchedule" },
  { key: "node.kubernetes.io/unreachable", effect: "NoExecute" },
];

/**
 * Set a node's Ready condition and its unreachable taints together, as the node lifecycle controller does:
 * the taints are replaced (never duplicated) and every other condition and taint is kept.
 */
function setReachability(api: Api, node: string, ready: "True" | "Unknown"): boolean {
  const nodes = typeOf(api, "nodes");
  const object = api.store.get("/nodes", undefined, node);
  if (!object) return false;
  const spec = (object.spec ?? {}) as { taints?: Taint[] };
  const taints = [
    ...(spec.taints ?? []).filter((t) => t.key !== "node.kubernetes.io/unreachable"),
    ...(ready === "True" ? [] : UNREACHABLE.map((t) => ({ ...t, timeAdded: now() }))),
  ];
  const updated = api.update(nodes, undefined, node, { ...object, spec: { ...spec, taints } });
  const status = (updated.status ?? {}) as { conditions?: { type: string }[] };
  const conditions = [
    ...(status.conditions ?? []).filter((c) => c.type !== "Ready"),
    readyCondition(ready, now()),
  ];
  api.update(
    nodes,
    undefined,
    node,
    { ...updated, status: { ...status, conditions } },
    { subresource: "status" },
  );
  return true;
}

/** What the node lifecycle controller does when a kubelet goes silent: NotReady, tainted, pods not ready. */
export function markUnreachable(api: Api, node: string): void {
  if (!setReachability(api, node, "Unknown")) return;
  const pods = typeOf(api, "pods");
  for (const pod of api.store.list("/pods")) {
    if ((pod.spec as { nodeName?: string }).nodeName !== node) continue;
    const ps = (pod.status ?? {}) as { conditions?: { type: string }[] };
    const notReady = { type: "Ready", status: "False", lastProbeTime: null, lastTransitionTime: now() };
    const next = [...(ps.conditions ?? []).filter((c) => c.type !== "Ready"), notReady];
    api.update(
      pods,
      pod.metadata.namespace,
      pod.metadata.name ?? "",
      { ...pod, status: { ...ps, conditions: next } },
      { subresource: "status" },
    );
  }
}

/** The kubelet is heard again: Ready, and the unreachable taints are lifted. */
export function markReachable(api: Api, node: string): void {
  setReachability(api, node, "True");
}

/** PodGC for pods bound to a node that no longer exists: Failed with a DisruptionTarget, then force-deleted. */
export function collectOrphanedPods(api: Api, node: string): void {
  const pods = typeOf(api, "pods");
  for (const pod of api.store.list("/pods")) {
    if ((pod.spec as { nodeName?: string }).nodeName !== node) continue;
    const ps = (pod.status ?? {}) as { conditions?: { type: string }[]; phase?: string };
    const condition = {
      type: "DisruptionTarget",
      status: "True",
      lastTransitionTime: now(),
      reason: "DeletionByPodGC",
      message: "PodGC: node no longer exists",
    };
    const terminal = ps.phase === "Succeeded" ? "Succeeded" : "Failed";
    try {
      const failed = api.update(
        pods,
        pod.metadata.namespace,
        pod.metadata.name ?? "",
        {
          ...pod,
          status: {
            ...ps,
            phase: terminal,
            conditions: [...(ps.conditions ?? []).filter((c) => c.type !== "DisruptionTarget"), condition],
          },
        },
        { subresource: "status" },
      );
      api.delete(pods, failed.metadata.namespace, failed.metadata.name ?? "", { gracePeriodSeconds: 0 });
    } catch (e) {
      ignoreGone(e);
    }
  }
}
