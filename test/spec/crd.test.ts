/** The generated CRD: up to date, structural, bounded, and in agreement with the zod schema on every example. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CRD_FILE, crdYaml, imageChainCrd, imageChainSchema, IMMUTABLE } from "../../operator/spec/crd.ts";
import { imageChainSpec } from "../../operator/spec/schema.ts";
import { imageChainStatus } from "../../operator/spec/status.ts";
import { applyDefaults, prune, validate, type Schema } from "../cluster/schema.ts";
import { structuralIssues, unboundedNodes } from "./structural-check.ts";

const EXAMPLES = join(import.meta.dirname, "../../examples");
const examples = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith(".yaml"))
  .map(
    (f) => [f, parse(readFileSync(join(EXAMPLES, f), "utf8")) as { spec: Record<string, unknown> }] as const,
  );

const root = imageChainSchema() as Schema;
const specSchema = root.properties!.spec!;
const statusSchema = root.properties!.status!;

/** What the API server stores for a spec: defaulted, pruned; with its validation causes and pruned paths. */
function admit(spec: unknown, schema: Schema = specSchema) {
  const unknown: string[] = [];
  const stored = prune(schema, applyDefaults(schema, spec), "spec", unknown);
  return { stored, causes: validate(schema, stored, "spec"), unknown };
}

/** A manifest's spec as plain JSON, loose enough to break in each test case. */
interface SpecJson {
  sources: Record<string, { uri: string }>;
  steps: { name: string; op: string; inputs: Record<string, string>; params: Record<string, unknown> }[];
  outputs: Record<string, unknown>[];
  tiling: Record<string, unknown>;
  execution: Record<string, unknown>;
  [field: string]: unknown;
}

const ndvi = () => structuredClone(examples.find(([f]) => f === "ndvi.yaml")![1].spec) as SpecJson;

describe("the generated CRD", () => {
  it("is the committed file (run npm run gen:crds after changing the schema)", () => {
    const committed = readFileSync(CRD_FILE, "utf8");
    expect(committed, "crds/imagechain.io_imagechains.yaml is stale: run npm run gen:crds").toBe(crdYaml());
    expect(crdYaml()).toBe(crdYaml());
  });

  it("declares the resource: namespaced v1alpha1, served and stored, status subresource, printer columns", () => {
    const crd = parse(crdYaml()) as ReturnType<typeof imageChainCrd>;
    expect(crd.metadata.name).toBe("imagechains.imagechain.io");
    expect(crd.spec).toMatchObject({ group: "imagechain.io", scope: "Namespaced" });
    expect(crd.spec.names).toMatchObject({ kind: "ImageChain", plural: "imagechains" });
    const [version] = crd.spec.versions;
    expect(crd.spec.versions).toHaveLength(1);
    expect(version).toMatchObject({
      name: "v1alpha1",
      served: true,
      storage: true,
      subresources: { status: {} },
    });
    expect(version!.additionalPrinterColumns.map((c) => [c.name, c.jsonPath])).toEqual([
      ["Phase", ".status.phase"],
      ["Progress", ".status.progress"],
      ["Age", ".metadata.creationTimestamp"],
    ]);
  });

  it("has a structural schema with valid defaults and RE2 patterns", () => {
    expect(structuralIssues(root)).toEqual([]);
  });

  it("bounds every string, list and map of the spec (CEL cost), except the nodes left open", () => {
    expect(unboundedNodes(specSchema)).toEqual([]);
    const steps = specSchema.properties!.steps!;
    expect(steps.maxItems).toBe(256);
    expect(specSchema.properties!.sources!.maxProperties).toBe(64);
    expect(steps.items!.properties!.name!.maxLength).toBe(63);
    expect(specSchema.properties!.sources!.additionalProperties).toMatchObject({
      properties: { uri: { maxLength: 2048 } },
    });
  });

  it("makes sources, steps, outputs and tiling immutable, and nothing else", () => {
    const ruled = Object.entries(specSchema.properties!)
      .filter(([, s]) => s["x-kubernetes-validations"])
      .map(([k, s]) => [k, s["x-kubernetes-validations"]![0]!.rule]);
    expect(ruled).toEqual(IMMUTABLE.map((f) => [f, "self == oldSelf"]).sort());
  });

  it("leaves open only the fields that take several JSON types or any value", () => {
    const open: string[] = [];
    const walk = (s: Schema, path: string) => {
      if (s["x-kubernetes-preserve-unknown-fields"]) open.push(path);
      for (const [k, p] of Object.entries(s.properties ?? {})) walk(p, `${path}.${k}`);
      if (s.items) walk(s.items, `${path}[]`);
    };
    walk(root, "");
    expect(open.sort()).toEqual([
      ".spec.execution.worker",
      ".spec.execution.worker.resources",
      ".spec.execution.worker.tolerations[]",
      ".spec.steps[].params.border",
      ".spec.steps[].params.expression",
    ]);
  });
});

describe("the CRD schema against the zod schema", () => {
  it.each(examples)("%s: admitted unchanged but for defaults that zod fills alike", (_file, manifest) => {
    expect(imageChainSpec.safeParse(manifest.spec).success).toBe(true);
    const { stored, causes, unknown } = admit(manifest.spec);
    expect(causes).toEqual([]);
    expect(unknown).toEqual([]);
    // Defaults the API server writes must be the ones zod would fill: same parse either way.
    expect(imageChainSpec.parse(stored)).toEqual(imageChainSpec.parse(manifest.spec));
  });

  it("writes the spec-level defaults, but no per-op param default (they differ between ops)", () => {
    const { stored } = admit(ndvi()) as { stored: SpecJson };
    expect(stored.execution).toMatchObject({
      scratch: { mode: "volume", size: "20Gi" },
      retries: { limit: 3 },
    });
    expect(stored.ttlSecondsAfterFinished).toBe(3600);
    expect(stored.suspend).toBe(false);
    expect(stored.steps[0].params).toEqual(ndvi().steps[0].params);
    expect(imageChainSpec.parse(stored).steps[1]!.params).toMatchObject({ dataType: "float32" });
  });

  const REFUSED: [string, (s: SpecJson) => void, string][] = [
    ["257 steps", (s) => (s.steps = Array.from({ length: 257 }, () => s.steps[0])), "spec.steps"],
    ["no step", (s) => (s.steps = []), "spec.steps"],
    ["an unknown op", (s) => (s.steps[0].op = "ndwi"), "spec.steps[0].op"],
    ["a step name over 63", (s) => (s.steps[0].name = "n".repeat(64)), "spec.steps[0].name"],
    [
      "a URI over 2048",
      (s) => (s.sources.scene.uri = `s3://b/${"k".repeat(2043)}`),
      "spec.sources.scene.uri",
    ],
    [
      "65 sources",
      (s) =>
        (s.sources = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`s${i}`, s.sources.scene]))),
      "spec.sources",
    ],
    ["parallelism as a string", (s) => (s.execution.parallelism = "16"), "spec.execution.parallelism"],
    ["a tile size over 4096", (s) => (s.tiling.tileSize = 8192), "spec.tiling.tileSize"],
    ["an output without uri", (s) => delete s.outputs[0].uri, "spec.outputs[0].uri"],
  ];
  it.each(REFUSED)("refuses %s, naming the field", (_what, change, field) => {
    const spec = ndvi();
    change(spec);
    expect(admit(spec).causes.map((c) => c.field)).toContain(field);
  });

  it("prunes a param no op knows; keeps an expression list; leaves the per-op check to zod", () => {
    const spec = ndvi();
    spec.steps[0].params.expresion = "typo";
    spec.steps[0].params.expression = ["im.b4", "im.b3"];
    spec.steps[1].params.dataType = "uint8";
    const { stored, causes, unknown } = admit(spec) as {
      stored: SpecJson;
      causes: unknown[];
      unknown: string[];
    };
    expect(causes).toEqual([]);
    expect(unknown).toEqual(["spec.steps[0].params.expresion"]);
    expect(stored.steps[0].params.expression).toEqual(["im.b4", "im.b3"]);
    // `crs` is an ortho param: the merged schema takes it on a bandmath step, the operator's zod parse does not.
    spec.steps[0].params.crs = "EPSG:4326";
    expect(admit(spec).causes).toEqual([]);
    expect(imageChainSpec.safeParse(admit(spec).stored).success).toBe(false);
  });

  it("takes a status the operator writes, and refuses one it must not", () => {
    const status = imageChainStatus.parse({
      observedGeneration: 2,
      phase: "Running",
      progress: "3/8",
      tiles: { total: 8, succeeded: 3, running: 2, failed: 0 },
      conditions: [
        {
          type: "Ready",
          status: "False",
          reason: "Running",
          message: "",
          lastTransitionTime: "2026-01-01T00:00:00Z",
        },
      ],
      stages: [{ name: "ndvi", steps: ["ndvi"], tiles: 8, succeeded: 3, done: "AQID" }],
      lanes: { count: 2, phases: "RW", nodes: "S8tPL9A1AAA", volumes: "0*2", batches: "3,0" },
      startTime: "2026-01-01T00:00:00Z",
      outputs: [{ uri: "s3://results/a.tif", bytes: 1234 }],
    });
    expect(admit(status, statusSchema)).toMatchObject({ causes: [], unknown: [] });
    expect(admit({ ...status, phase: "Done" }, statusSchema).causes.map((c) => c.field)).toEqual([
      "spec.phase",
    ]);
  });
});

describe("the structural check (so that it can fail)", () => {
  const CASES: [string, Schema, string][] = [
    ["a node without type", { type: "object", properties: { a: {} } }, "a: no type"],
    ["a oneOf", { type: "object", oneOf: [{ type: "string" }] }, "keyword oneOf"],
    ["a $ref", { type: "object", properties: { a: { $ref: "#/x" } } }, "keyword $ref"],
    [
      "additionalProperties next to properties",
      { type: "object", properties: { a: { type: "string" } }, additionalProperties: { type: "string" } },
      "mutually exclusive",
    ],
    ["additionalProperties: false", { type: "object", additionalProperties: false }, "is a boolean"],
    ["a lookahead pattern", { type: "string", pattern: "^(?!x)" }, "is not RE2"],
    ["an invalid default", { type: "integer", minimum: 1, default: 0 }, "default is invalid"],
    [
      "a default with pruned fields",
      { type: "object", properties: { a: { type: "string" } }, default: { b: 1 } },
      "pruning drops",
    ],
    [
      "a transition rule in a list item",
      { type: "array", items: { type: "string", "x-kubernetes-validations": [{ rule: "self == oldSelf" }] } },
      "cannot be correlated",
    ],
  ];
  it.each(CASES)("finds %s", (_what, schema, message) => {
    expect(structuralIssues(schema).join("\n")).toContain(message);
  });
});
