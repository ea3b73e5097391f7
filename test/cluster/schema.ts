/** The structural OpenAPI v3 schema of a CRD version: defaulting, pruning and validation. */
import type { StatusCause } from "./errors.ts";
import { isObject, type JsonObject } from "./json.ts";

export interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  nullable?: boolean;
  maxItems?: number;
  minItems?: number;
  maxLength?: number;
  minLength?: number;
  maxProperties?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-embedded-resource"?: boolean;
  "x-kubernetes-validations"?: { rule: string; message?: string }[];
  [key: string]: unknown;
}

function child(path: string, key: string | number): string {
  return typeof key === "number" ? `${path}[${key}]` : path ? `${path}.${key}` : key;
}

/** Fills absent fields from `default`, top-down, as the API server does on read and write. */
export function applyDefaults(schema: Schema, value: unknown): unknown {
  if (isObject(value)) {
    const out: JsonObject = { ...value };
    for (const [k, s] of Object.entries(schema.properties ?? {})) {
      if (out[k] === undefined && s.default !== undefined) out[k] = structuredClone(s.default);
      if (out[k] !== undefined) out[k] = applyDefaults(s, out[k]);
    }
    if (isObject(schema.additionalProperties)) {
      const extra = schema.additionalProperties;
      for (const k of Object.keys(out))
        if (!(k in (schema.properties ?? {}))) out[k] = applyDefaults(extra, out[k]);
    }
    return out;
  }
  if (Array.isArray(value) && schema.items) {
    const items = schema.items;
    return value.map((v) => applyDefaults(items, v));
  }
  return value;
}

/** Drops fields the schema does not know (unless preserved) and reports their paths. */
export function prune(schema: Schema, value: unknown, path: string, unknown: string[]): unknown {
  if (schema["x-kubernetes-preserve-unknown-fields"] && !schema.properties) return value;
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      const s =
        schema.properties?.[k] ??
        (isObject(schema.additionalProperties) ? schema.additionalProperties : undefined);
      if (s) out[k] = prune(s, v, child(path, k), unknown);
      else if (schema.additionalProperties === true || schema["x-kubernetes-preserve-unknown-fields"])
        out[k] = v;
      else if (!(
        schema["x-kubernetes-embedded-resource"] &&
        (k === "apiVersion" || k === "kind" || k === "metadata")
      )) {
        unknown.push(child(path, k));
      } else out[k] = v;
    }
    return out;
  }
  if (Array.isArray(value) && schema.items) {
    const items = schema.items;
    return value.map((v, i) => prune(items, v, child(path, i), unknown));
  }
  return value;
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function shown(v: unknown): string {
  return isObject(v) ? '"object"' : Array.isArray(v) ? '"array"' : JSON.stringify(v);
}

function typeMatches(schema: Schema, v: unknown): boolean {
  if (schema["x-kubernetes-int-or-string"]) return typeof v === "string" || Number.isInteger(v);
  const actual = typeName(v);
  switch (schema.type) {
    case undefined:
      return true;
    case "number":
      return actual === "number" || actual === "integer";
    default:
      return actual === schema.type;
  }
}

export function validate(schema: Schema, value: unknown, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const fail = (reason: string, message: string) => causes.push({ reason, message, field: path });
  if (value === null) {
    if (!schema.nullable)
      fail("FieldValueTypeInvalid", `Invalid value: "null": ${path} in body must be of type ${schema.type}`);
    return causes;
  }
  if (!typeMatches(schema, value)) {
    fail(
      "FieldValueTypeInvalid",
      `Invalid value: "${typeName(value)}": ${path} in body must be of type ${schema.type}: "${typeName(value)}"`,
    );
    return causes;
  }
  if (schema.enum && !schema.enum.some((e) => e === value)) {
    fail(
      "FieldValueNotSupported",
      `Unsupported value: ${shown(value)}: supported values: ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}`,
    );
  }
  if (typeof value === "string") {
    if (schema.maxLength !== undefined && value.length > schema.maxLength) {
      fail("FieldValueTooLong", `Too long: may not be more than ${schema.maxLength} bytes`);
    }
    if (schema.minLength !== undefined && value.length < schema.minLength) {
      fail(
        "FieldValueInvalid",
        `Invalid value: ${shown(value)}: ${path} in body should be at least ${schema.minLength} chars long`,
      );
    }
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) {
      fail(
        "FieldValueInvalid",
        `Invalid value: ${shown(value)}: ${path} in body should match '${schema.pattern}'`,
      );
    }
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) {
      fail(
        "FieldValueInvalid",
        `Invalid value: ${value}: ${path} in body should be greater than or equal to ${schema.minimum}`,
      );
    }
    if (schema.maximum !== undefined && value > schema.maximum) {
      fail(
        "FieldValueInvalid",
        `Invalid value: ${value}: ${path} in body should be less than or equal to ${schema.maximum}`,
      );
    }
  }
  if (Array.isArray(value)) {
    if (schema.maxItems !== undefined && value.length > schema.maxItems) {
      fail("FieldValueTooMany", `Too many: ${value.length}: must have at most ${schema.maxItems} items`);
    }
    if (schema.minItems !== undefined && value.length < schema.minItems) {
      fail(
        "FieldValueInvalid",
        `Invalid value: ${value.length}: ${path} in body should have at least ${schema.minItems} items`,
      );
    }
    const items = schema.items;
    if (items) value.forEach((v, i) => causes.push(...validate(items, v, child(path, i))));
  }
  if (isObject(value)) {
    for (const r of schema.required ?? []) {
      if (value[r] === undefined)
        causes.push({ reason: "FieldValueRequired", message: "Required value", field: child(path, r) });
    }
    if (schema.maxProperties !== undefined && Object.keys(value).length > schema.maxProperties) {
      fail(
        "FieldValueTooMany",
        `Too many: ${Object.keys(value).length}: must have at most ${schema.maxProperties} items`,
      );
    }
    for (const [k, v] of Object.entries(value)) {
      const s =
        schema.properties?.[k] ??
        (isObject(schema.additionalProperties) ? schema.additionalProperties : undefined);
      if (s) causes.push(...validate(s, v, child(path, k)));
    }
  }
  return causes;
}
