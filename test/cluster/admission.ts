/** Built-in defaulting and validation on create and update, per kind (what the API server's strategies do). */
import { ApiError, type StatusCause } from "./errors.ts";
import { equalJson, isObject, type JsonObject } from "./json.ts";
import type { KubeObject, ObjectMeta, ResourceType } from "./resources.ts";

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function validateName(name: string | undefined): StatusCause[] {
  if (!name)
    return [
      {
        reason: "FieldValueRequired",
        field: "metadata.name",
        message: "Required value: name or generateName is required",
      },
    ];
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    return [
      {
        reason: "FieldValueInvalid",
        field: "metadata.name",
        message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
      },
    ];
  }
  return [];
}

function defaultPod(pod: KubeObject): KubeObject {
  const spec = (pod.spec ?? {}) as JsonObject;
  const containers = Array.isArray(spec.containers) ? (spec.containers as JsonObject[]) : [];
  return {
    ...pod,
    spec: {
      restartPolicy: "Always",
      terminationGracePeriodSeconds: 30,
      schedulerName: "default-scheduler",
      dnsPolicy: "ClusterFirst",
      serviceAccountName: "default",
      priority: 0,
      ...spec,
      containers: containers.map((c) => ({
        terminationMessagePath: "/dev/termination-log",
        imagePullPolicy: "IfNotPresent",
        ...c,
      })),
    },
  };
}

function validatePod(pod: KubeObject): StatusCause[] {
  const spec = pod.spec as JsonObject | undefined;
  const containers = spec?.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    return [{ reason: "FieldValueRequired", field: "spec.containers", message: "Required value" }];
  }
  const causes: StatusCause[] = [];
  containers.forEach((c: JsonObject, i) => {
    if (!c.name)
      causes.push({
        reason: "FieldValueRequired",
        field: `spec.containers[${i}].name`,
        message: "Required value",
      });
    if (!c.image)
      causes.push({
        reason: "FieldValueRequired",
        field: `spec.containers[${i}].image`,
        message: "Required value",
      });
  });
  const policy = spec?.restartPolicy;
  if (!["Always", "OnFailure", "Never"].includes(String(policy))) {
    causes.push({
      reason: "FieldValueNotSupported",
      field: "spec.restartPolicy",
      message: `Unsupported value: "${String(policy)}": supported values: "Always", "OnFailure", "Never"`,
    });
  }
  return causes;
}

const QUALIFIED_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const ANNOTATIONS_LIMIT = 256 * 1024;

function keyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)))
    return "prefix part must be a lowercase RFC 1123 subdomain";
  if (name.length > 63) return "name part must be no more than 63 characters";
  if (!QUALIFIED_NAME.test(name))
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  return undefined;
}

/** Labels, annotations and owner references, as ObjectMeta validation checks them for every kind. */
export function validateMetadata(type: ResourceType, metadata: ObjectMeta): StatusCause[] {
  const causes: StatusCause[] = [];
  const invalidAt = (field: string, value: string, why: string) =>
    causes.push({
      reason: "FieldValueInvalid",
      field,
      message: `Invalid value: ${JSON.stringify(value)}: ${why}`,
    });
  for (const [k, v] of Object.entries(metadata.labels ?? {})) {
    const problem = keyProblem(k);
    if (problem) invalidAt("metadata.labels", k, problem);
    if (typeof v !== "string" || v.length > 63)
      invalidAt("metadata.labels", String(v), "must be no more than 63 characters");
    else if (!LABEL_VALUE.test(v))
      invalidAt(
        "metadata.labels",
        v,
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
      );
  }
  let size = 0;
  for (const [k, v] of Object.entries(metadata.annotations ?? {})) {
    const problem = keyProblem(k);
    if (problem) invalidAt("metadata.annotations", k, problem);
    size += k.length + String(v).length;
  }
  if (size > ANNOTATIONS_LIMIT) {
    causes.push({
      reason: "FieldValueTooLong",
      field: "metadata.annotations",
      message: `Too long: must have at most ${ANNOTATIONS_LIMIT} bytes`,
    });
  }
  const controllers = (metadata.ownerReferences ?? []).filter((r) => r.controller);
  if (controllers.length > 1) {
    causes.push({
      reason: "FieldValueInvalid",
      field: "metadata.ownerReferences",
      message: `Invalid value: ${JSON.stringify(controllers)}: Only one reference can have Controller set to true`,
    });
  }
  if (type.group === "" && type.kind === "Namespace" && metadata.name && metadata.name.length > 63) {
    invalidAt("metadata.name", metadata.name, "must be no more than 63 characters");
  }
  return causes;
}

/** Pod spec fields an update may change (the rest is immutable once created). */
function mutablePodSpec(spec: JsonObject): JsonObject {
  const strip = (list: unknown) =>
    Array.isArray(list) ? list.map((c: JsonObject) => ({ ...c, image: undefined })) : list;
  return {
    ...spec,
    containers: strip(spec.containers),
    initContainers: strip(spec.initContainers),
    activeDeadlineSeconds: undefined,
    tolerations: undefined,
    terminationGracePeriodSeconds: undefined,
    schedulingGates: undefined,
  };
}

function gateNames(spec: unknown): string[] {
  return ((spec as { schedulingGates?: { name: string }[] } | undefined)?.schedulingGates ?? []).map(
    (g) => g.name,
  );
}

/** Conversions every write of a kind gets: a Secret's write-only stringData is merged into data (base64). */
export function normalize(type: ResourceType, object: KubeObject): KubeObject {
  if (type.group !== "" || type.kind !== "Secret" || !isObject(object.stringData)) return object;
  const { stringData, ...rest } = object;
  const encoded = Object.fromEntries(
    Object.entries(stringData as Record<string, string>).map(([k, v]) => [
      k,
      Buffer.from(String(v)).toString("base64"),
    ]),
  );
  return { ...rest, data: { ...((object.data ?? {}) as Record<string, string>), ...encoded } } as KubeObject;
}

/**
 * Applies create-time defaults; returns the object to store and the causes that reject it.
 * `priorityOf` resolves a PriorityClass name to its value (the Priority admission plugin).
 */
export function admitCreate(
  type: ResourceType,
  object: KubeObject,
  priorityOf: (name: string) => number | undefined,
): { object: KubeObject; causes: StatusCause[] } {
  if (type.group !== "" && type.group !== "coordination.k8s.io" && type.group !== "storage.k8s.io") {
    return { object, causes: [] };
  }
  switch (type.kind) {
    case "Pod": {
      const pod = defaultPod(object);
      const spec = pod.spec as { priorityClassName?: string; priority?: number };
      if (spec.priorityClassName) {
        const value = priorityOf(spec.priorityClassName);
        if (value === undefined) {
          throw new ApiError(
            403,
            "Forbidden",
            `pods "${pod.metadata.name ?? ""}" is forbidden: no PriorityClass with name ${spec.priorityClassName} was found`,
          );
        }
        spec.priority = value;
      }
      return {
        object: { ...pod, status: { phase: "Pending", qosClass: "BestEffort", ...(pod.status as object) } },
        causes: validatePod(pod),
      };
    }
    case "Namespace":
      return {
        object: { ...object, spec: { finalizers: ["kubernetes"] }, status: { phase: "Active" } },
        causes: [],
      };
    case "PersistentVolumeClaim":
      return { object: { ...object, status: { phase: "Pending" } }, causes: [] };
    case "PersistentVolume":
      return {
        object: {
          ...object,
          status: { phase: isObject((object.spec as JsonObject)?.claimRef) ? "Bound" : "Available" },
        },
        causes: [],
      };
    default:
      return { object, causes: [] };
  }
}

export function admitUpdate(type: ResourceType, object: KubeObject, old: KubeObject): StatusCause[] {
  if (type.group === "" && type.kind === "Pod") {
    const before = mutablePodSpec(old.spec as JsonObject);
    const after = mutablePodSpec(object.spec as JsonObject);
    const added = gateNames(object.spec).filter((g) => !gateNames(old.spec).includes(g));
    if (added.length > 0) {
      return [
        {
          reason: "FieldValueForbidden",
          field: "spec.schedulingGates",
          message: "Forbidden: only deletion is allowed, but found new scheduling gate(s)",
        },
      ];
    }
    if (!equalJson(before, after)) {
      return [
        {
          reason: "FieldValueForbidden",
          field: "spec",
          message:
            "Forbidden: pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations), `spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
        },
      ];
    }
  }
  return [];
}
