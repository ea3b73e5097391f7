/**
 * The rules the API server applies to a CRD's schema that the emulator does not check: a
 * structural schema (every node typed, no logical junctors, no additionalProperties next to
 * properties), defaults that survive pruning and validate, RE2-compatible patterns, list-map keys
 * that are required, and transition rules only where old and new values can be correlated.
 */
import { applyDefaults, prune, validate, type Schema } from "../cluster/schema.ts";

const KEYWORDS = new Set([
  "description",
  "type",
  "format",
  "title",
  "properties",
  "additionalProperties",
  "items",
  "required",
  "enum",
  "default",
  "nullable",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "minLength",
  "maxLength",
  "pattern",
  "minItems",
  "maxItems",
  "uniqueItems",
  "minProperties",
  "maxProperties",
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-int-or-string",
  "x-kubernetes-embedded-resource",
  "x-kubernetes-validations",
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-map-type",
]);
const TYPES = new Set(["object", "array", "string", "integer", "number", "boolean"]);
/** Go's regexp (RE2) has no lookaround and no backreferences. */
const NOT_RE2 = /\(\?<?[=!]|\\[1-9]|\\k</;

export function structuralIssues(root: Schema): string[] {
  const issues: string[] = [];
  const walk = (s: Schema, path: string, inList: boolean) => {
    const at = path || "(root)";
    for (const k of Object.keys(s)) if (!KEYWORDS.has(k)) issues.push(`${at}: keyword ${k} is not allowed`);
    const open =
      s["x-kubernetes-preserve-unknown-fields"] === true || s["x-kubernetes-int-or-string"] === true;
    if (s.type === undefined && !open) issues.push(`${at}: no type`);
    if (s.type !== undefined && !TYPES.has(s.type)) issues.push(`${at}: unknown type ${s.type}`);
    if (typeof s.additionalProperties === "boolean") issues.push(`${at}: additionalProperties is a boolean`);
    if (s.additionalProperties !== undefined && s.properties)
      issues.push(`${at}: additionalProperties and properties are mutually exclusive`);
    if (s.type === "array" && !s.items) issues.push(`${at}: an array needs items`);
    for (const r of s.required ?? [])
      if (!s.properties?.[r]) issues.push(`${at}: required ${r} is not a property`);
    if (s.pattern !== undefined) {
      if (NOT_RE2.test(s.pattern)) issues.push(`${at}: pattern ${s.pattern} is not RE2`);
      try {
        new RegExp(s.pattern, "u");
      } catch {
        issues.push(`${at}: pattern ${s.pattern} does not compile`);
      }
    }
    for (const e of s.enum ?? []) {
      const bad = validate({ type: s.type }, e, path);
      if (bad.length > 0) issues.push(`${at}: enum value ${JSON.stringify(e)} is not a ${s.type}`);
    }
    if (s.default !== undefined) {
      const unknown: string[] = [];
      const pruned = prune(s, applyDefaults(s, s.default), path, unknown);
      if (unknown.length > 0) issues.push(`${at}: default has fields pruning drops: ${unknown.join(", ")}`);
      for (const c of validate(s, pruned, path)) issues.push(`${at}: default is invalid: ${c.message}`);
    }
    if (s["x-kubernetes-list-type"] === "map") {
      for (const key of (s["x-kubernetes-list-map-keys"] as string[] | undefined) ?? [])
        if (!s.items?.required?.includes(key)) issues.push(`${at}: list map key ${key} is not required`);
    }
    for (const v of s["x-kubernetes-validations"] ?? []) {
      if (inList && v.rule.includes("oldSelf"))
        issues.push(`${at}: transition rule inside an atomic list cannot be correlated`);
    }
    for (const [k, p] of Object.entries(s.properties ?? {})) walk(p, path ? `${path}.${k}` : k, inList);
    if (typeof s.additionalProperties === "object") walk(s.additionalProperties, `${path}.*`, inList);
    if (s.items) walk(s.items, `${path}[]`, inList || s["x-kubernetes-list-type"] !== "map");
  };
  walk(root, "", false);
  const metadata = root.properties?.metadata;
  if (metadata && Object.keys(metadata).some((k) => k !== "type"))
    issues.push("metadata: only its type may be given");
  return issues;
}

/** Every node below `schema` whose size the schema leaves unbounded (strings without enum, lists, maps). */
export function unboundedNodes(schema: Schema, path = ""): string[] {
  const out: string[] = [];
  if (schema.type === "string" && schema.enum === undefined && schema.maxLength === undefined) out.push(path);
  if (schema.type === "array" && schema.maxItems === undefined) out.push(path);
  if (schema.additionalProperties !== undefined && schema.maxProperties === undefined) out.push(path);
  for (const [k, p] of Object.entries(schema.properties ?? {}))
    out.push(...unboundedNodes(p, `${path}.${k}`));
  if (typeof schema.additionalProperties === "object")
    out.push(...unboundedNodes(schema.additionalProperties, `${path}.*`));
  if (schema.items) out.push(...unboundedNodes(schema.items, `${path}[]`));
  return out;
}
