/** CustomResourceDefinitions: what a CRD serves, and admission of its custom resources. */
import { type StatusCause } from "./errors.ts";
import { equalJson, isObject, readPath } from "./json.ts";
import {
  typeKey,
  type KubeObject,
  type PrinterColumn,
  type Registry,
  type ResourceType,
  type TransitionRule,
} from "./resources.ts";
import type { Store } from "./store.ts";
import { applyDefaults, prune, validate, type Schema } from "./schema.ts";

interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: Schema };
  subresources?: { status?: object };
  additionalPrinterColumns?: PrinterColumn[];
}

interface CrdSpec {
  group?: string;
  scope?: string;
  names?: {
    plural?: string;
    singular?: string;
    kind?: string;
    listKind?: string;
    shortNames?: string[];
    categories?: string[];
  };
  versions?: CrdVersion[];
}

const TRANSITION =
  /^\s*(self|oldSelf)((?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*==\s*(self|oldSelf)((?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*$/;

/**
 * Collects `x-kubernetes-validations` rules. The emulator evaluates only the transition rule
 * form `self[.path] == oldSelf[.path]`; any other rule is refused so that no rule is silently skipped.
 */
function collectRules(
  schema: Schema,
  path: string[],
  field: string,
  rules: TransitionRule[],
  causes: StatusCause[],
): void {
  for (const v of schema["x-kubernetes-validations"] ?? []) {
    const m = TRANSITION.exec(v.rule);
    if (!m || m[1] === m[3] || m[2] !== m[4]) {
      causes.push({
        reason: "FieldValueNotSupported",
        field: `${field}.x-kubernetes-validations`,
        message: `Unsupported value: "${v.rule}": the emulator evaluates only "self == oldSelf" rules`,
      });
      continue;
    }
    rules.push({
      path,
      selfPath: m[2].split(".").filter(Boolean),
      message: v.message ?? `failed rule: ${v.rule}`,
    });
  }
  for (const [k, s] of Object.entries(schema.properties ?? {})) {
    collectRules(s, [...path, k], `${field}.properties[${k}]`, rules, causes);
  }
  if (schema.items?.["x-kubernetes-validations"]) {
    causes.push({
      reason: "FieldValueNotSupported",
      field: `${field}.items`,
      message: "rules inside list items are not evaluated by the emulator",
    });
  }
}

/** The served resource of a CRD, or the causes that make the CRD invalid. */
export function resourceOfCrd(crd: KubeObject): { type?: ResourceType; causes: StatusCause[] } {
  const spec = (crd.spec ?? {}) as CrdSpec;
  const names = spec.names ?? {};
  const causes: StatusCause[] = [];
  const required = (ok: unknown, field: string) => {
    if (!ok) causes.push({ reason: "FieldValueRequired", message: "Required value", field });
  };
  required(spec.group, "spec.group");
  required(names.plural, "spec.names.plural");
  required(names.kind, "spec.names.kind");
  required(spec.scope === "Namespaced" || spec.scope === "Cluster", "spec.scope");
  required(spec.versions && spec.versions.length > 0, "spec.versions");
  if (spec.group && names.plural && crd.metadata.name !== `${names.plural}.${spec.group}`) {
    causes.push({
      reason: "FieldValueInvalid",
      field: "metadata.name",
      message: `Invalid value: "${crd.metadata.name}": must be spec.names.plural+"."+spec.group`,
    });
  }
  if (causes.length > 0) return { causes };
  const versions = (spec.versions ?? []).filter((v) => v.served !== false);
  const storage = (spec.versions ?? []).find((v) => v.storage) ?? versions[0];
  const schema = storage.schema?.openAPIV3Schema;
  const rules: TransitionRule[] = [];
  if (schema) collectRules(schema, [], "spec.versions[0].schema.openAPIV3Schema", rules, causes);
  if (causes.length > 0) return { causes };
  const kind = names.kind ?? "";
  return {
    causes,
    type: {
      group: spec.group ?? "",
      versions: versions.map((v) => v.name),
      plural: names.plural ?? "",
      singular: names.singular ?? kind.toLowerCase(),
      kind,
      listKind: names.listKind ?? `${kind}List`,
      namespaced: spec.scope === "Namespaced",
      shortNames: names.shortNames ?? [],
      categories: names.categories ?? [],
      statusSubresource: storage.subresources?.status !== undefined,
      columns: storage.additionalPrinterColumns ?? [],
      custom: true,
      schema,
      rules,
    },
  };
}

/** The status the API server writes on an accepted CRD. */
export function establishedStatus(crd: KubeObject, now: string): Record<string, unknown> {
  const spec = (crd.spec ?? {}) as CrdSpec;
  const condition = (type: string, reason: string, message: string) => ({
    type,
    status: "True",
    lastTransitionTime: now,
    reason,
    message,
  });
  return {
    conditions: [
      condition("NamesAccepted", "NoConflicts", "no conflicts found"),
      condition("Established", "InitialNamesAccepted", "the initial names have been accepted"),
    ],
    acceptedNames: spec.names ?? {},
    storedVersions: (spec.versions ?? []).filter((v) => v.storage).map((v) => v.name),
  };
}

/**
 * Defaults, prunes and validates a custom resource, then evaluates transition rules against
 * the old object. Returns the object to store, the causes of rejection and the pruned paths.
 */
export function admitCustom(
  type: ResourceType,
  object: KubeObject,
  old: KubeObject | undefined,
): { object: KubeObject; causes: StatusCause[]; unknown: string[] } {
  const unknown: string[] = [];
  if (!type.schema) return { object, causes: [], unknown };
  const { metadata, apiVersion, kind, ...body } = object;
  const schema: Schema = { ...type.schema, properties: { ...type.schema.properties } };
  delete schema.properties?.metadata;
  delete schema.properties?.apiVersion;
  delete schema.properties?.kind;
  const pruned = prune(schema, applyDefaults(schema, body), "", unknown) as Record<string, unknown>;
  const causes = validate(schema, pruned, "");
  if (old) {
    for (const rule of type.rules ?? []) {
      const before = readPath(old, rule.path);
      const after = readPath(pruned, rule.path);
      if (before === undefined || after === undefined) continue;
      if (!equalJson(readPath(before, rule.selfPath), readPath(after, rule.selfPath))) {
        causes.push({
          reason: "FieldValueInvalid",
          field: rule.path.join("."),
          message: `Invalid value: "${isObject(after) ? "object" : typeof after}": ${rule.message}`,
        });
      }
    }
  }
  return { object: { ...pruned, apiVersion, kind, metadata } as KubeObject, causes, unknown };
}

export function isCrd(type: ResourceType): boolean {
  return type.kind === "CustomResourceDefinition" && type.group === "apiextensions.k8s.io";
}

/** Serves (or re-serves, after an update) the resource a stored CRD defines. */
export function serveCrd(registry: Registry, crd: KubeObject): void {
  const served = resourceOfCrd(crd).type;
  if (served && !crd.metadata.deletionTimestamp) registry.put(served);
}

/** A removed CRD takes its custom resources with it. */
export function unserveCrd(store: Store, registry: Registry, crd: KubeObject): void {
  const served = resourceOfCrd(crd).type;
  if (!served) return;
  const key = typeKey(served.group, served.plural);
  for (const o of store.list(key)) store.remove(key, o);
  registry.remove(served.group, served.plural);
}
