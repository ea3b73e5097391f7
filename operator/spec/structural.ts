import { isDeepStrictEqual } from "node:util";

/**
 * JSON Schema (as z.toJSONSchema writes it for OpenAPI 3.0) → the structural schema a
 * CustomResourceDefinition needs: every node typed, no $ref, no logical junctors carrying types,
 * no `additionalProperties` next to `properties`. Where a value has several JSON types the node is
 * left open (`x-kubernetes-preserve-unknown-fields`) and its form is the operator's validator's job.
 */

export type JsonType = "object" | "array" | "string" | "integer" | "number" | "boolean";

export interface StructuralSchema {
  description?: string;
  type?: JsonType;
  format?: string;
  properties?: Record<string, StructuralSchema>;
  additionalProperties?: StructuralSchema;
  items?: StructuralSchema;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  maxProperties?: number;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-validations"?: { rule: string; message: string }[];
  "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  "x-kubernetes-list-map-keys"?: string[];
}

type JsonNode = Record<string, unknown>;

/** Keywords copied as they are (JSONSchemaProps fields with the same meaning in both dialects). */
const COPIED = new Set([
  "description",
  "type",
  "format",
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
]);
/** Map keys cannot be constrained in OpenAPI 3.0: the operator's validator checks them. */
const DROPPED = new Set(["$schema", "propertyNames"]);

const isNode = (v: unknown): v is JsonNode => typeof v === "object" && v !== null && !Array.isArray(v);

function at(path: string): string {
  return path === "" ? "(root)" : path;
}

export function toStructural(node: JsonNode, path = ""): StructuralSchema {
  for (const k of ["$ref", "$defs", "definitions", "allOf", "not", "if"]) {
    if (k in node) throw new Error(`${at(path)}: '${k}' has no structural form (inline the schema)`);
  }
  const { oneOf, anyOf, ...rest } = node;
  const variants = oneOf ?? anyOf;
  if (!Array.isArray(variants)) return plain(rest, path);
  const merged = mergeVariants(variants.map((v: JsonNode, i) => toStructural(v, `${path}|${i}`)));
  return { ...merged, ...plain(rest, path) };
}

function plain(node: JsonNode, path: string): StructuralSchema {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (DROPPED.has(k)) continue;
    if (k === "properties" && isNode(v)) {
      const entries = Object.entries(v).map(([name, s]) => [
        name,
        toStructural(s as JsonNode, join(path, name)),
      ]);
      if (entries.length > 0) out.properties = Object.fromEntries(entries);
    } else if (k === "items" && isNode(v)) {
      out.items = toStructural(v, `${path}[]`);
    } else if (k === "additionalProperties") {
      Object.assign(out, extraProperties(v, node.properties !== undefined, path));
    } else if (COPIED.has(k)) {
      // zod bounds every integer by the safe range; that says nothing a user needs to read.
      if (
        (k === "maximum" && v === Number.MAX_SAFE_INTEGER) ||
        (k === "minimum" && v === Number.MIN_SAFE_INTEGER)
      )
        continue;
      out[k] = v;
    } else {
      throw new Error(`${at(path)}: keyword '${k}' is not part of a CRD's OpenAPI schema`);
    }
  }
  // The API server checks `format: date-time` itself; zod's long RFC 3339 regex would only repeat it.
  if (out.format === "date-time") delete out.pattern;
  return out as StructuralSchema;
}

/**
 * `false` is dropped: pruning already removes unknown fields, and the API server refuses it next to
 * `properties`. An untyped value schema (`{}`, z.unknown()) or one next to `properties` opens the node.
 */
function extraProperties(v: unknown, hasProperties: boolean, path: string): StructuralSchema {
  if (v === false) return {};
  if (v === true || (isNode(v) && Object.keys(v).length === 0) || hasProperties)
    return { "x-kubernetes-preserve-unknown-fields": true };
  return { additionalProperties: toStructural(v as JsonNode, `${path}.*`) };
}

function join(path: string, name: string): string {
  return path === "" ? name : `${path}.${name}`;
}

/**
 * One schema accepting every variant. Variants of one JSON type merge field by field (see
 * mergeSame); variants of different types leave the node open, since a structural schema
 * cannot say "a string or a list".
 */
export function mergeVariants(variants: readonly StructuralSchema[]): StructuralSchema {
  const types = [...new Set(variants.map((v) => v.type))];
  if (types.length === 1 && types[0] !== undefined) return variants.reduce(mergeSame);
  return {
    description: `one of: ${types.map((t) => t ?? "any").join(", ")} (the form is checked by the operator)`,
    "x-kubernetes-preserve-unknown-fields": true,
  };
}

/**
 * The union of two same-typed schemas, never narrower than either: properties of both (each
 * required only if required by both), enums joined, any other keyword kept only where both agree.
 * A default survives only if both variants have it: a default known to one variant alone would be
 * written into objects of the other, which that variant's strict schema refuses.
 */
function mergeSame(a: StructuralSchema, b: StructuralSchema): StructuralSchema {
  if (isDeepStrictEqual(a, b)) return a;
  const out: Record<string, unknown> = {};
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = left[k];
    const y = right[k];
    if (k === "properties") {
      out.properties = mergeProperties(a.properties ?? {}, b.properties ?? {});
    } else if (k === "required") {
      const both = (a.required ?? []).filter((r) => b.required?.includes(r));
      if (both.length > 0) out.required = both;
    } else if (k === "items" && a.items && b.items) {
      out.items = mergeVariants([a.items, b.items]);
    } else if (k === "additionalProperties" && a.additionalProperties && b.additionalProperties) {
      out.additionalProperties = mergeVariants([a.additionalProperties, b.additionalProperties]);
    } else if (k === "enum" && a.enum && b.enum) {
      out.enum = [...a.enum, ...b.enum.filter((e) => !a.enum?.includes(e))];
    } else if (k === "x-kubernetes-preserve-unknown-fields") {
      out[k] = true;
    } else if (isDeepStrictEqual(x, y)) {
      out[k] = x;
    }
  }
  return out as StructuralSchema;
}

function mergeProperties(
  a: Record<string, StructuralSchema>,
  b: Record<string, StructuralSchema>,
): Record<string, StructuralSchema> {
  const out: Record<string, StructuralSchema> = {};
  for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[name];
    const y = b[name];
    out[name] = x && y ? mergeVariants([x, y]) : withoutDefaults((x ?? y)!);
  }
  return out;
}

function withoutDefaults(schema: StructuralSchema): StructuralSchema {
  const { default: _dropped, properties, items, additionalProperties, ...rest } = schema;
  const out: StructuralSchema = rest;
  if (properties)
    out.properties = Object.fromEntries(Object.entries(properties).map(([k, s]) => [k, withoutDefaults(s)]));
  if (items) out.items = withoutDefaults(items);
  if (additionalProperties) out.additionalProperties = withoutDefaults(additionalProperties);
  return out;
}
