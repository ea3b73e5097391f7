/**
 * Server-side apply, simplified: each applier owns the set of fields it last applied (kept in
 * metadata.managedFields as FieldsV1). A field an applier stops applying is removed unless
 * another applier still applies it. Lists are atomic. No conflict detection between managers.
 */
import { equalJson, isObject, type JsonObject } from "./json.ts";
import { now } from "./clock.ts";
import type { KubeObject } from "./resources.ts";

type Path = readonly string[];

interface ManagedFieldsEntry {
  manager: string;
  operation: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: JsonObject;
  subresource?: string;
}

const IDENTITY = new Set([
  "apiVersion",
  "kind",
  "metadata.name",
  "metadata.namespace",
  "metadata.resourceVersion",
]);

/** The leaf paths a configuration sets (maps are walked, lists and scalars are leaves). */
export function configPaths(config: unknown, prefix: Path = []): Path[] {
  if (!isObject(config) || (Object.keys(config).length === 0 && prefix.length > 0)) return [prefix];
  return Object.entries(config).flatMap(([k, v]) => {
    const path = [...prefix, k];
    return IDENTITY.has(path.join(".")) ? [] : configPaths(v, path);
  });
}

export function encodeFields(paths: readonly Path[]): JsonObject {
  const root: JsonObject = {};
  for (const p of paths) {
    let cur = root;
    for (const seg of p) cur = (cur[`f:${seg}`] ??= {}) as JsonObject;
  }
  return root;
}

export function decodeFields(fields: JsonObject | undefined, prefix: Path = []): Path[] {
  const keys = Object.keys(fields ?? {}).filter((k) => k.startsWith("f:"));
  if (keys.length === 0) return prefix.length > 0 ? [prefix] : [];
  return keys.flatMap((k) => decodeFields((fields as JsonObject)[k] as JsonObject, [...prefix, k.slice(2)]));
}

function without(value: unknown, path: Path): unknown {
  if (!isObject(value) || path.length === 0) return value;
  const [head, ...rest] = path;
  if (!(head in value)) return value;
  const out: JsonObject = { ...value };
  if (rest.length === 0) delete out[head];
  else out[head] = without(out[head], rest);
  return out;
}

const key = (p: Path) => p.join("\u0000");

/**
 * Applies `config` for `manager` on `existing` (undefined: the object is being created), with
 * `merge` the patch semantics of the kind. Returns the object with its managedFields updated.
 */
export function serverSideApply(
  existing: KubeObject | undefined,
  config: KubeObject,
  manager: string,
  merge: (target: unknown, patch: unknown) => unknown,
): KubeObject {
  const entries = ((existing?.metadata.managedFields ?? []) as ManagedFieldsEntry[]).filter(isObject);
  const mine = entries.find((e) => e.manager === manager && e.operation === "Apply");
  const others = new Set(
    entries
      .filter((e) => e !== mine && e.operation === "Apply")
      .flatMap((e) => decodeFields(e.fieldsV1).map(key)),
  );
  const paths = configPaths(config);
  const applied = new Set(paths.map(key));
  let base: unknown = existing ?? {};
  for (const old of decodeFields(mine?.fieldsV1)) {
    if (!applied.has(key(old)) && !others.has(key(old))) base = without(base, old);
  }
  const merged = merge(base, config) as KubeObject;
  const fieldsV1 = encodeFields(paths);
  const entry: ManagedFieldsEntry =
    mine && equalJson(mine.fieldsV1, fieldsV1)
      ? mine
      : {
          manager,
          operation: "Apply",
          apiVersion: String(config.apiVersion ?? ""),
          time: now(),
          fieldsType: "FieldsV1",
          fieldsV1,
        };
  const managedFields = [...entries.filter((e) => e !== mine), entry];
  return { ...merged, metadata: { ...merged.metadata, managedFields } };
}
