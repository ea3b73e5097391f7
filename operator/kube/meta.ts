import type { V1ObjectMeta, V1OwnerReference } from "@kubernetes/client-node";

/**
 * Names, labels and owner references of the objects a chain owns. Names are deterministic so that
 * reconciling twice creates nothing twice, and a restarted operator finds what it made by name.
 */

export const API_VERSION = "imagechain.io/v1alpha1";
export const KIND = "ImageChain";

/** The identity of an ImageChain that its objects carry. */
export interface ChainMeta {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
}

export const LABEL = {
  chain: "imagechain.io/chain",
  chainUid: "imagechain.io/chain-uid",
  lane: "imagechain.io/lane",
  batch: "imagechain.io/batch",
  attempt: "imagechain.io/attempt",
  queue: "kueue.x-k8s.io/queue-name",
} as const;

export const ANNOTATION = {
  /** The batch's task ids in execution order, as on the worker's command line: the record of what a pod ran. */
  tasks: "imagechain.io/tasks",
  safeToEvict: "cluster-autoscaler.kubernetes.io/safe-to-evict",
} as const;

const MAX_NAME = 63;

/**
 * `<chain>-<uid prefix>-<suffix>`, at most 63 characters and a DNS-1123 label (valid as a pod name, a
 * PVC name and a hostname). The chain part is shortened, never the suffix: the suffix is what tells a
 * chain's objects apart, the uid prefix what tells apart chains whose shortened names collide.
 */
export function objectName(chain: ChainMeta, suffix: string): string {
  const tail = `${uidPrefix(chain.uid)}-${suffix}`;
  if (!/^[a-z0-9-]+$/.test(tail) || tail.endsWith("-") || tail.length > MAX_NAME)
    throw new RangeError(`object name suffix '${tail}' is not a DNS-1123 label of at most ${MAX_NAME} chars`);
  const room = MAX_NAME - tail.length - 1;
  // Chain names are DNS subdomains: dots (and, defensively, anything else) become '-' in a label.
  const head = chain.name
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .slice(0, Math.max(0, room))
    .replace(/^-+|-+$/g, "");
  return head ? `${head}-${tail}` : tail;
}

/** The first 5 alphanumerics of the uid: 20 bits, enough to separate chains of one name over time. */
export function uidPrefix(uid: string): string {
  const p = uid
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "")
    .slice(0, 5);
  if (p.length < 5) throw new RangeError(`chain uid '${uid}' is too short for an object name`);
  return p;
}

/** Label values are at most 63 characters of [A-Za-z0-9-_.] starting and ending with an alphanumeric. */
export function labelValue(text: string): string {
  return text
    .replace(/[^A-Za-z0-9._-]/g, "-")
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
}

/**
 * The labels every object of a chain carries; informers select on the chain uid. Not
 * `app.kubernetes.io/instance`: Argo CD's label tracking reads it, and an Application named like a
 * chain would then claim the chain's pods and volumes as its own.
 */
export function chainLabels(chain: ChainMeta, component: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": "imagechain",
    "app.kubernetes.io/component": component,
    "app.kubernetes.io/managed-by": "imagechain-operator",
    [LABEL.chain]: labelValue(chain.name),
    [LABEL.chainUid]: chain.uid,
  };
}

/** Owned by the chain: deleting the chain deletes the object (and waits for it with foreground deletion). */
export function ownerReference(chain: ChainMeta): V1OwnerReference {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    name: chain.name,
    uid: chain.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function ownedMeta(
  chain: ChainMeta,
  name: string,
  labels: Record<string, string>,
  annotations?: Record<string, string>,
): V1ObjectMeta {
  return {
    name,
    namespace: chain.namespace,
    labels,
    ...(annotations ? { annotations } : {}),
    ownerReferences: [ownerReference(chain)],
  };
}

export { formatTaskList, parseTaskList } from "../../worker/run/task-list.ts";
