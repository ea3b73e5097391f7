/** JSON Schema → structural schema: each rule on the smallest zod schema that needs it. */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { annotate } from "../../operator/spec/crd.ts";
import { toStructural, type StructuralSchema } from "../../operator/spec/structural.ts";

const convert = (schema: z.ZodType) =>
  toStructural(z.toJSONSchema(schema, { io: "input", target: "openapi-3.0" }) as Record<string, unknown>);

const bandmath = z.strictObject({
  op: z.literal("bandmath"),
  params: z.strictObject({
    expression: z.union([z.string(), z.array(z.string())]),
    dataType: z.enum(["uint8", "float32"]).default("float32"),
    nodata: z.number().optional(),
  }),
});
const stretch = z.strictObject({
  op: z.literal("stretch"),
  params: z.strictObject({
    method: z.enum(["percentile", "minmax"]).default("percentile"),
    dataType: z.enum(["uint8", "float32"]).default("uint8"),
    nodata: z.number().optional(),
    limits: z.strictObject({ low: z.number().default(2) }).optional(),
  }),
});

describe("toStructural", () => {
  const CASES: [string, z.ZodType, StructuralSchema][] = [
    [
      "a strict object loses additionalProperties: false (pruning does its work)",
      z.strictObject({ a: z.string() }),
      { type: "object", properties: { a: { type: "string" } }, required: ["a"] },
    ],
    [
      "a loose object keeps its properties and preserves the rest",
      z.looseObject({ a: z.string().optional() }),
      { type: "object", properties: { a: { type: "string" } }, "x-kubernetes-preserve-unknown-fields": true },
    ],
    [
      "a record of unknown values is open",
      z.record(z.string(), z.unknown()),
      { type: "object", "x-kubernetes-preserve-unknown-fields": true },
    ],
    [
      "a typed record keeps its value schema, without the key pattern",
      z.record(z.string().regex(/^[a-z]+$/), z.number()),
      { type: "object", additionalProperties: { type: "number" } },
    ],
    [
      "a union of one type merges (enums joined)",
      z.union([z.enum(["a", "b"]), z.enum(["b", "c"])]),
      { type: "string", enum: ["a", "b", "c"] },
    ],
    [
      "a union of several types is open",
      z.union([z.string(), z.array(z.string())]).default("x"),
      {
        description: "one of: string, array (the form is checked by the operator)",
        "x-kubernetes-preserve-unknown-fields": true,
        default: "x",
      },
    ],
    [
      "a tuple of numbers is a bounded list",
      z.tuple([z.number(), z.number()]),
      { type: "array", items: { type: "number" }, minItems: 2, maxItems: 2 },
    ],
    [
      "the safe-integer range is dropped, real bounds kept",
      z.number().int().min(0),
      { type: "integer", minimum: 0 },
    ],
    [
      "a datetime keeps its format, not zod's regex",
      z.iso.datetime(),
      { type: "string", format: "date-time" },
    ],
  ];
  it.each(CASES)("%s", (_what, schema, expected) => {
    expect(convert(schema)).toEqual(expected);
  });

  it("merges a discriminated union into one object: params of all variants, optional, with no per-op default", () => {
    const step = convert(z.discriminatedUnion("op", [bandmath, stretch]));
    expect(step.required).toEqual(["op", "params"]);
    expect(step.properties!.op).toEqual({ type: "string", enum: ["bandmath", "stretch"] });
    const params = step.properties!.params!;
    expect(Object.keys(params.properties!).sort()).toEqual([
      "dataType",
      "expression",
      "limits",
      "method",
      "nodata",
    ]);
    expect(params.required).toBeUndefined();
    // dataType defaults differ, method is stretch's only, limits.low is deep inside stretch's only.
    expect(params.properties!.dataType).toEqual({ type: "string", enum: ["uint8", "float32"] });
    expect(params.properties!.method!.default).toBeUndefined();
    expect(params.properties!.limits!.properties!.low).toEqual({ type: "number" });
    expect(params.properties!.nodata).toEqual({ type: "number" });
  });

  it("keeps a default every variant shares", () => {
    const a = z.strictObject({ k: z.literal("a"), n: z.number().default(1) });
    const b = z.strictObject({ k: z.literal("b"), n: z.number().default(1) });
    expect(convert(z.discriminatedUnion("k", [a, b])).properties!.n).toEqual({ type: "number", default: 1 });
  });

  it("refuses what has no structural form", () => {
    expect(() => toStructural({ type: "object", properties: { a: { $ref: "#/$defs/a" } } })).toThrow(
      "a: '$ref' has no structural form",
    );
    expect(() => toStructural({ allOf: [] })).toThrow("(root): 'allOf'");
    expect(() => toStructural({ type: "string", contentEncoding: "base64" })).toThrow(
      "keyword 'contentEncoding' is not part of a CRD's OpenAPI schema",
    );
  });
});

describe("annotate", () => {
  const schema = convert(
    z.strictObject({ names: z.array(z.string().max(10)), tags: z.record(z.string(), z.string()) }),
  );

  it("adds bounds by path; a tighter bound from the schema wins", () => {
    const out = annotate(schema, {
      names: { maxItems: 5 },
      "names[]": { maxLength: 63 },
      tags: { maxProperties: 8 },
      "tags.*": { maxLength: 63 },
    });
    expect(out.properties!.names).toEqual({
      type: "array",
      maxItems: 5,
      items: { type: "string", maxLength: 10 },
    });
    expect(out.properties!.tags).toEqual({
      type: "object",
      maxProperties: 8,
      additionalProperties: { type: "string", maxLength: 63 },
    });
    expect(schema.properties!.names!.maxItems).toBeUndefined();
  });

  it("throws on a path that names no node (a renamed field must not lose its bound)", () => {
    expect(() => annotate(schema, { "name[]": { maxLength: 1 } })).toThrow("no schema node at name[]");
  });
});
