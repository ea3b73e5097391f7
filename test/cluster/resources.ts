/** The resource types the emulator serves: built-ins plus those installed by CRDs. */
import type { Schema } from "./schema.ts";

export type KubeObject = Record<string, unknown> & { metadata: ObjectMeta };

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  [key: string]: unknown;
}

export interface PrinterColumn {
  readonly name: string;
  readonly type: string;
  readonly jsonPath: string;
  readonly description?: string;
  readonly priority?: number;
  readonly format?: string;
}

/** A CEL rule the emulator evaluates: `self.<path> == oldSelf.<path>` at a schema location. */
export interface TransitionRule {
  readonly path: readonly string[];
  readonly selfPath: readonly string[];
  readonly message: string;
}

export interface ResourceType {
  readonly group: string;
  readonly versions: readonly string[];
  readonly plural: string;
  readonly singular: string;
  readonly kind: string;
  readonly listKind: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly statusSubresource: boolean;
  readonly columns: readonly PrinterColumn[];
  /** Served from a CustomResourceDefinition. */
  readonly custom?: boolean;
  /** Present for custom resources: validation, defaulting and pruning. */
  readonly schema?: Schema;
  readonly rules?: readonly TransitionRule[];
}

export function typeKey(group: string, plural: string): string {
  return `${group}/${plural}`;
}

export function apiVersionOf(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

/** A resource type with no schema, subresources or columns (built-in kinds, and kinds registered by tests). */
export function builtin(
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  extra: Partial<ResourceType> = {},
): ResourceType {
  return {
    group,
    versions: [version],
    plural,
    singular: kind.toLowerCase(),
    kind,
    listKind: `${kind}List`,
    namespaced,
    shortNames: [],
    categories: [],
    statusSubresource: false,
    columns: [],
    ...extra,
  };
}

export function builtinTypes(): ResourceType[] {
  return [
    builtin("", "v1", "Namespace", "namespaces", false, {
      shortNames: ["ns"],
      statusSubresource: true,
      columns: [{ name: "Status", type: "string", jsonPath: ".status.phase" }],
    }),
    builtin("", "v1", "Pod", "pods", true, {
      shortNames: ["po"],
      categories: ["all"],
      statusSubresource: true,
      columns: [
        // Empty paths are computed cells (table.ts), as the API server's pod printer does.
        { name: "Ready", type: "string", jsonPath: "" },
        { name: "Status", type: "string", jsonPath: "" },
        { name: "Restarts", type: "integer", jsonPath: "" },
        { name: "Node", type: "string", jsonPath: ".spec.nodeName", priority: 1 },
      ],
    }),
    builtin("", "v1", "Node", "nodes", false, {
      shortNames: ["no"],
      statusSubresource: true,
      columns: [{ name: "Status", type: "string", jsonPath: "" }],
    }),
    builtin("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", true, {
      shortNames: ["pvc"],
      statusSubresource: true,
      columns: [
        { name: "Status", type: "string", jsonPath: ".status.phase" },
        { name: "Volume", type: "string", jsonPath: ".spec.volumeName" },
        { name: "StorageClass", type: "string", jsonPath: ".spec.storageClassName" },
      ],
    }),
    builtin("", "v1", "PersistentVolume", "persistentvolumes", false, {
      shortNames: ["pv"],
      statusSubresource: true,
      columns: [
        { name: "Status", type: "string", jsonPath: ".status.phase" },
        { name: "Claim", type: "string", jsonPath: ".spec.claimRef.name" },
        { name: "StorageClass", type: "string", jsonPath: ".spec.storageClassName" },
      ],
    }),
    builtin("", "v1", "ConfigMap", "configmaps", true, { shortNames: ["cm"] }),
    builtin("", "v1", "Secret", "secrets", true),
    builtin("", "v1", "Event", "events", true, {
      shortNames: ["ev"],
      columns: [
        { name: "Type", type: "string", jsonPath: ".type" },
        { name: "Reason", type: "string", jsonPath: ".reason" },
        { name: "Object", type: "string", jsonPath: ".involvedObject.name" },
        { name: "Message", type: "string", jsonPath: ".message" },
      ],
    }),
    builtin("", "v1", "ServiceAccount", "serviceaccounts", true, { shortNames: ["sa"] }),
    builtin("coordination.k8s.io", "v1", "Lease", "leases", true, {
      columns: [{ name: "Holder", type: "string", jsonPath: ".spec.holderIdentity" }],
    }),
    builtin("storage.k8s.io", "v1", "StorageClass", "storageclasses", false, {
      shortNames: ["sc"],
      columns: [
        { name: "Provisioner", type: "string", jsonPath: ".provisioner" },
        { name: "VolumeBindingMode", type: "string", jsonPath: ".volumeBindingMode" },
      ],
    }),
    builtin("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", false, {
      shortNames: ["pc"],
      columns: [
        { name: "Value", type: "integer", jsonPath: ".value" },
        { name: "Global-Default", type: "boolean", jsonPath: ".globalDefault" },
      ],
    }),
    builtin("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", false, {
      shortNames: ["crd", "crds"],
      statusSubresource: true,
      columns: [{ name: "Created At", type: "date", jsonPath: ".metadata.creationTimestamp" }],
    }),
  ];
}

/** All resource types by group/plural, with lookups the REST layer and discovery need. */
export class Registry {
  readonly #types = new Map<string, ResourceType>();

  constructor(types: readonly ResourceType[]) {
    for (const t of types) this.put(t);
  }

  put(t: ResourceType): void {
    this.#types.set(typeKey(t.group, t.plural), t);
  }

  remove(group: string, plural: string): void {
    this.#types.delete(typeKey(group, plural));
  }

  get(group: string, version: string, plural: string): ResourceType | undefined {
    const t = this.#types.get(typeKey(group, plural));
    return t && t.versions.includes(version) ? t : undefined;
  }

  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    for (const t of this.#types.values()) {
      if (t.kind === kind && t.versions.some((v) => apiVersionOf(t.group, v) === apiVersion)) return t;
    }
    return undefined;
  }

  all(): ResourceType[] {
    return [...this.#types.values()];
  }
}
