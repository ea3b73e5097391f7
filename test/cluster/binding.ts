/** The pods/binding subresource: a pending pod is assigned to a node, once. */
import type { Api } from "./api.ts";
import { now } from "./clock.ts";
import { conflict } from "./errors.ts";
import type { KubeObject } from "./resources.ts";

export function bindPod(api: Api, namespace: string, name: string, node: string): KubeObject {
  const pods = api.registry.get("", "v1", "pods");
  if (!pods) throw new Error("pods are not registered");
  const pod = api.get(pods, namespace, name);
  const spec = pod.spec as Record<string, unknown>;
  if (spec.nodeName) {
    const assigned = `pod ${name} is already assigned to node "${String(spec.nodeName)}"`;
    throw conflict({ group: "", plural: "pods", kind: "Pod", name }, assigned);
  }
  const status = (pod.status ?? {}) as Record<string, unknown>;
  const conditions = ((status.conditions ?? []) as { type: string }[]).filter(
    (c) => c.type !== "PodScheduled",
  );
  const scheduled = { type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: now() };
  // Binding bypasses the pod update rules (spec.nodeName is otherwise immutable).
  return api.store.put(api.key(pods), {
    ...pod,
    spec: { ...spec, nodeName: node },
    status: { ...status, conditions: [...conditions, scheduled] },
  });
}
