import { describe, expect, it } from "vitest";
import { z } from "zod";
import { imageChainSpec } from "../../operator/spec/schema.ts";
import { OP_NAMES } from "../../worker/ops/registry.ts";

describe("the spec schema as JSON Schema (the CRD's future OpenAPI schema)", () => {
  it("converts, with every op as a step variant and defaults for the optional parts", () => {
    const schema = z.toJSONSchema(imageChainSpec, { io: "input" }) as {
      properties: Record<
        string,
        { anyOf?: unknown; items?: { oneOf?: { properties: { op: { const: string } } }[] } }
      >;
      required: string[];
    };
    expect(schema.required).toEqual(["sources", "steps", "outputs"]);
    const ops = schema.properties.steps!.items!.oneOf!.map((v) => v.properties.op.const);
    expect(ops.sort()).toEqual([...OP_NAMES].sort());
  });
});
