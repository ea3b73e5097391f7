import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { z } from "zod";
import { imageChainSpec } from "./schema.ts";
import { imageChainStatus } from "./status.ts";
import { toStructural, type StructuralSchema } from "./structural.ts";

/**
 * The ImageChain CustomResourceDefinition, generated from the spec and status schemas
 * (`npm run gen:crds` writes it to crds/; a test fails when the committed file is stale).
 *
 * Steps: a structural schema cannot hold a oneOf whose variants differ in properties or types, so
 * the step union is one object: `op` is an enum of every op and `params` holds every op's params,
 * all optional. Per-op required params, per-op defaults (`dataType`, `resampling`, `method` differ
 * between ops) and fields that take several JSON types (a band-math `expression` string or list, a
 * convolve `border` name or `{ constant }`) are the operator's validator's job (validate.ts, through
 * the same zod schema), which fails the chain with a condition naming the field.
 */

export const GROUP = "imagechain.io";
export const VERSION = "v1alpha1";
export const KIND = "ImageChain";
export const PLURAL = "imagechains";
export const CRD_FILE = fileURLToPath(new URL(`../../crds/${GROUP}_${PLURAL}.yaml`, import.meta.url));

/** Changing these would change the plan under tiles already computed: a new chain is the honest way. */
export const IMMUTABLE = ["sources", "steps", "outputs", "tiling"] as const;

export function immutableMessage(field: (typeof IMMUTABLE)[number]): string {
  return `${field} cannot change once the chain exists: create a new ImageChain with another name, or delete this one first`;
}

/**
 * Size bounds the zod schema does not state, by path below spec (`.*` a map value, `[]` a list
 * item). They keep the API server's CEL cost estimates and stored objects small; a tighter bound
 * from zod wins.
 */
const SPEC_BOUNDS: Record<string, Partial<StructuralSchema>> = {
  sources: { maxProperties: 64 },
  "sources.*.uri": { maxLength: 2048 },
  steps: { maxItems: 256 },
  "steps[].name": { maxLength: 63 },
  "steps[].inputs": { maxProperties: 64 },
  "steps[].inputs.*": { maxLength: 63 },
  "steps[].params.crs": { maxLength: 32 },
  "steps[].params.weights": { maxItems: 64 },
  "steps[].params.kernel.matrix": { maxItems: 255 },
  "steps[].params.kernel.matrix[]": { maxItems: 255 },
  outputs: { maxItems: 64 },
  "outputs[].step": { maxLength: 63 },
  "outputs[].uri": { maxLength: 2048 },
  "storage.s3.endpoint": { maxLength: 2048 },
  "storage.s3.region": { maxLength: 63 },
  "storage.s3.credentialsSecret": { maxLength: 63 },
  "execution.scratch.storageClassName": { maxLength: 253 },
  "execution.scratch.size": { maxLength: 32 },
  "execution.worker.image": { maxLength: 1024 },
  "execution.worker.nodeSelector": { maxProperties: 64 },
  "execution.worker.nodeSelector.*": { maxLength: 63 },
  "execution.worker.tolerations": { maxItems: 64 },
  "execution.worker.priorityClassName": { maxLength: 253 },
  "execution.worker.queueName": { maxLength: 253 },
};

const IMMUTABILITY: Record<string, Partial<StructuralSchema>> = Object.fromEntries(
  IMMUTABLE.map((f) => [
    f,
    { "x-kubernetes-validations": [{ rule: "self == oldSelf", message: immutableMessage(f) }] },
  ]),
);

/** Conditions are keyed by type, as metav1.Condition lists are everywhere (server-side apply merges them). */
const STATUS_EXTRAS: Record<string, Partial<StructuralSchema>> = {
  conditions: { "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"] },
};

function openApi(schema: z.ZodType): StructuralSchema {
  const json = z.toJSONSchema(schema, {
    io: "input",
    target: "openapi-3.0",
    reused: "inline",
    cycles: "throw",
    unrepresentable: "throw",
  });
  return toStructural(json as Record<string, unknown>);
}

/** A copy of `schema` with `extras` merged in at their paths; a path that matches nothing throws. */
export function annotate(
  schema: StructuralSchema,
  extras: Record<string, Partial<StructuralSchema>>,
): StructuralSchema {
  const unused = new Set(Object.keys(extras));
  const walk = (node: StructuralSchema, path: string): StructuralSchema => {
    const out: StructuralSchema = { ...node };
    const extra = extras[path];
    if (extra) {
      unused.delete(path);
      for (const [k, v] of Object.entries(extra) as [keyof StructuralSchema, unknown][]) {
        const mine = node[k];
        const bound = k === "maxItems" || k === "maxLength" || k === "maxProperties";
        (out as Record<string, unknown>)[k] =
          bound && typeof mine === "number" ? Math.min(mine, v as number) : structuredClone(v);
      }
    }
    if (node.properties) {
      out.properties = Object.fromEntries(
        Object.entries(node.properties).map(([k, s]) => [k, walk(s, path ? `${path}.${k}` : k)]),
      );
    }
    if (node.additionalProperties) out.additionalProperties = walk(node.additionalProperties, `${path}.*`);
    if (node.items) out.items = walk(node.items, `${path}[]`);
    return out;
  };
  const out = walk(schema, "");
  if (unused.size > 0) throw new Error(`no schema node at ${[...unused].join(", ")}`);
  return out;
}

/** Keys in alphabetical order at every level (as controller-gen writes CRDs), so the file is stable. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}

export function imageChainSchema(): StructuralSchema {
  return sortKeys({
    description: "An image processing chain: sources, a DAG of steps and outputs, run tile by tile.",
    type: "object",
    required: ["spec"],
    properties: {
      apiVersion: { type: "string" },
      kind: { type: "string" },
      metadata: { type: "object" },
      spec: {
        ...annotate(annotate(openApi(imageChainSpec), SPEC_BOUNDS), IMMUTABILITY),
        description: "What to compute. sources, steps, outputs and tiling are fixed at creation.",
      },
      status: {
        ...annotate(openApi(imageChainStatus), STATUS_EXTRAS),
        description: "Written by the operator through the status subresource.",
      },
    },
  }) as StructuralSchema;
}

export function imageChainCrd() {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${PLURAL}.${GROUP}` },
    spec: {
      group: GROUP,
      names: {
        kind: KIND,
        listKind: `${KIND}List`,
        plural: PLURAL,
        singular: "imagechain",
        shortNames: ["ic"],
      },
      scope: "Namespaced",
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: "Phase", type: "string", jsonPath: ".status.phase" },
            {
              name: "Progress",
              type: "string",
              description: "tiles done/total",
              jsonPath: ".status.progress",
            },
            { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
          ],
          schema: { openAPIV3Schema: imageChainSchema() },
        },
      ],
    },
  };
}

export function crdYaml(): string {
  return (
    "# Generated from operator/spec/schema.ts and status.ts by `npm run gen:crds`: do not edit.\n" +
    stringify(imageChainCrd(), { lineWidth: 0, aliasDuplicateObjects: false })
  );
}
