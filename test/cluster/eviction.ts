/** The Eviction API: a DisruptionTarget condition on the pod, then a graceful delete. */
import type { Api, DeleteOptions } from "./api.ts";
import { now } from "./clock.ts";
import type { KubeObject } from "./resources.ts";

export function evict(api: Api, namespace: string, name: string, options: DeleteOptions = {}): KubeObject {
  const pods = api.registry.get("", "v1", "pods");
  if (!pods) throw new Error("pods are not registered");
  const pod = api.get(pods, namespace, name);
  const status = (pod.status ?? {}) as { conditions?: { type: string }[] };
  const condition = {
    type: "DisruptionTarget",
    status: "True",
    lastTransitionTime: now(),
    reason: "EvictionByEvictionAPI",
    message: "Eviction API: evicting",
  };
  const conditions = [...(status.conditions ?? []).filter((c) => c.type !== "DisruptionTarget"), condition];
  api.update(pods, namespace, name, { ...pod, status: { ...status, conditions } }, { subresource: "status" });
  return api.delete(pods, namespace, name, options);
}
