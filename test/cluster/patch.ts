/** PATCH bodies: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch. */
import { ApiError, badRequest } from "./errors.ts";

type Json = unknown;
type JsonObject = Record<string, Json>;

function isObject(v: Json): v is JsonObject {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

interface Operation {
  readonly op: string;
  readonly path: string;
  readonly from?: string;
  readonly value?: Json;
}

function pointer(path: string): string[] {
  if (path === "") return [];
  if (!path.startsWith("/")) throw badRequest(`invalid JSON pointer "${path}"`);
  return path
    .slice(1)
    .split("/")
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function parentOf(doc: Json, parts: readonly string[], path: string): Json {
  let cur = doc;
  for (const p of parts.slice(0, -1)) {
    const next = Array.isArray(cur) ? cur[Number(p)] : isObject(cur) ? cur[p] : undefined;
    if (next === undefined) throw jsonPatchError(`path "${path}" does not exist`);
    cur = next;
  }
  return cur;
}

function jsonPatchError(message: string): ApiError {
  return new ApiError(
    422,
    "Invalid",
    `the server rejected our request due to an error in our request: ${message}`,
  );
}

function readAt(doc: Json, path: string): Json {
  let cur = doc;
  for (const p of pointer(path)) {
    cur = Array.isArray(cur) ? cur[Number(p)] : isObject(cur) ? cur[p] : undefined;
    if (cur === undefined) throw jsonPatchError(`path "${path}" does not exist`);
  }
  return cur;
}

function removeAt(doc: Json, path: string): Json {
  const parts = pointer(path);
  const parent = parentOf(doc, parts, path);
  const last = parts[parts.length - 1];
  if (Array.isArray(parent)) {
    const i = Number(last);
    if (!(i >= 0 && i < parent.length)) throw jsonPatchError(`index ${last} out of range in "${path}"`);
    return parent.splice(i, 1)[0];
  }
  if (!isObject(parent) || !(last in parent)) throw jsonPatchError(`path "${path}" does not exist`);
  const old = parent[last];
  delete parent[last];
  return old;
}

function addAt(doc: Json, path: string, value: Json, replace: boolean): Json {
  const parts = pointer(path);
  if (parts.length === 0) return value;
  const parent = parentOf(doc, parts, path);
  const last = parts[parts.length - 1];
  if (Array.isArray(parent)) {
    const i = last === "-" ? parent.length : Number(last);
    if (!(i >= 0 && i <= parent.length)) throw jsonPatchError(`index ${last} out of range in "${path}"`);
    if (replace) parent[i] = value;
    else parent.splice(i, 0, value);
  } else if (isObject(parent)) {
    if (replace && !(last in parent)) throw jsonPatchError(`path "${path}" does not exist`);
    parent[last] = value;
  } else {
    throw jsonPatchError(`path "${path}" does not exist`);
  }
  return doc;
}

export function jsonPatch(target: Json, operations: Json): Json {
  if (!Array.isArray(operations)) throw badRequest("a JSON patch must be an array of operations");
  let doc = structuredClone(target);
  for (const raw of operations as Operation[]) {
    switch (raw.op) {
      case "add":
        doc = addAt(doc, raw.path, structuredClone(raw.value), false);
        break;
      case "replace":
        doc = addAt(doc, raw.path, structuredClone(raw.value), true);
        break;
      case "remove":
        removeAt(doc, raw.path);
        break;
      case "move":
        doc = addAt(doc, raw.path, removeAt(doc, raw.from ?? ""), false);
        break;
      case "copy":
        doc = addAt(doc, raw.path, structuredClone(readAt(doc, raw.from ?? "")), false);
        break;
      case "test":
        if (JSON.stringify(readAt(doc, raw.path)) !== JSON.stringify(raw.value)) {
          throw jsonPatchError(`test operation failed at "${raw.path}"`);
        }
        break;
      default:
        throw badRequest(`unknown JSON patch operation "${raw.op}"`);
    }
  }
  return doc;
}

/**
 * The merge keys of the built-in list fields kubectl patches (patchMergeKey in the Go types).
 * Lists of scalars named here merge as sets; other lists are replaced, as for custom resources.
 */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: "name",
  initContainers: "name",
  ephemeralContainers: "name",
  env: "name",
  volumes: "name",
  volumeMounts: "mountPath",
  volumeDevices: "devicePath",
  ports: "containerPort",
  conditions: "type",
  ownerReferences: "uid",
  imagePullSecrets: "name",
  hostAliases: "ip",
  topologySpreadConstraints: "topologyKey",
  secrets: "name",
};
const SET_LISTS = new Set(["finalizers"]);

function strategicList(field: string, target: Json, patch: readonly Json[]): Json {
  const current = Array.isArray(target) ? target : [];
  const key = MERGE_KEYS[field];
  if (SET_LISTS.has(field)) {
    return [
      ...current,
      ...patch.filter((v) => !current.some((c) => JSON.stringify(c) === JSON.stringify(v))),
    ];
  }
  if (!key || !patch.every(isObject)) return structuredClone(patch);
  if (patch.some((p) => isObject(p) && p.$patch === "replace")) {
    return patch.filter((p) => !(isObject(p) && p.$patch === "replace")).map((p) => strategicMerge({}, p));
  }
  const out = current.map((c) => structuredClone(c));
  for (const p of patch as JsonObject[]) {
    const i = out.findIndex((c) => isObject(c) && c[key] === p[key]);
    if (p.$patch === "delete") {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0) {
      out[i] = strategicMerge(out[i], p);
    } else {
      out.push(strategicMerge({}, p));
    }
  }
  return out;
}

/** Strategic merge patch for built-in kinds, with the directives kubectl emits. */
export function strategicMerge(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  if (patch.$patch === "replace") {
    const { $patch: _, ...rest } = patch;
    return strategicMerge({}, rest);
  }
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith("$setElementOrder/") || k === "$retainKeys" || k === "$patch") continue;
    if (k.startsWith("$deleteFromPrimitiveList/")) {
      const field = k.slice("$deleteFromPrimitiveList/".length);
      const list = Array.isArray(out[field]) ? (out[field] as Json[]) : [];
      out[field] = list.filter((x) => !(v as Json[]).includes(x));
      continue;
    }
    if (v === null) delete out[k];
    else if (Array.isArray(v)) out[k] = strategicList(k, out[k], v);
    else if (isObject(v) && v.$patch === "delete") delete out[k];
    else out[k] = strategicMerge(out[k], v);
  }
  return out;
}
