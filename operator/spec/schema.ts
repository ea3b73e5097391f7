import { z } from "zod";
import { OP_NAMES, OPS } from "../../worker/ops/registry.ts";

/**
 * The ImageChain spec: the one source for its TypeScript types, runtime validation and (through
 * z.toJSONSchema) the CRD's OpenAPI schema. Defaults live here, so a parsed spec is complete.
 */

const name = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, "names are lower-case letters, digits and '-', starting with a letter");
/** Input aliases appear in band-math expressions (`im.b4`), so they are identifiers. */
const alias = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "input aliases are identifiers (letters, digits, '_')");
const uri = z
  .string()
  .regex(
    /^(s3:\/\/[^/]+\/.+|file:\/\/\/.+|https?:\/\/.+)$/,
    "expected s3://bucket/key, file:///abs/path or https://…",
  );
const quantity = z
  .string()
  .regex(/^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/, "expected a Kubernetes quantity such as 20Gi");

const source = z.strictObject({ uri });

const steps = OP_NAMES.map((op) =>
  z.strictObject({
    name,
    op: z.literal(op),
    inputs: z.record(alias, z.string().min(1)),
    params: OPS[op].params.prefault({}),
  }),
);
const step = z.discriminatedUnion(
  "op",
  steps as unknown as [(typeof steps)[number], ...(typeof steps)[number][]],
);

const output = z.strictObject({
  step: z.string().min(1),
  uri: uri.refine((u) => !u.startsWith("http"), "outputs are written to s3:// or file:// URIs"),
  format: z.literal("cog").default("cog"),
  compression: z.enum(["deflate", "lzw", "none"]).default("deflate"),
});

const tiling = z.strictObject({
  tileSize: z
    .number()
    .int()
    .min(64)
    .max(4096)
    .refine((t) => t % 16 === 0, "TIFF tiles are multiples of 16 pixels")
    .default(512),
});

const storage = z.strictObject({
  s3: z
    .strictObject({
      endpoint: z.url({ protocol: /^https?$/ }).optional(),
      region: z.string().min(1).optional(),
      forcePathStyle: z.boolean().default(false),
      credentialsSecret: name.optional(),
    })
    .optional(),
});

const execution = z.strictObject({
  parallelism: z.number().int().min(1).max(65535).default(4),
  tasksPerPod: z.number().int().min(1).max(100_000).default(64),
  retries: z
    .strictObject({
      limit: z.number().int().min(0).max(100).default(3),
      backoffSeconds: z.number().positive().max(360).default(10),
    })
    .prefault({}),
  scratch: z
    .strictObject({
      mode: z.enum(["volume", "hostPath", "none"]).default("volume"),
      storageClassName: z.string().min(1).optional(),
      size: quantity.default("20Gi"),
    })
    .prefault({}),
  worker: z
    .looseObject({
      image: z.string().min(1).optional(),
      resources: z.record(z.string(), z.unknown()).optional(),
      nodeSelector: z.record(z.string(), z.string()).optional(),
      tolerations: z.array(z.record(z.string(), z.unknown())).optional(),
      priorityClassName: z.string().min(1).optional(),
      queueName: z.string().min(1).optional(),
    })
    .optional(),
});

export const imageChainSpec = z.strictObject({
  sources: z
    .record(name, source)
    .refine((s) => Object.keys(s).length > 0, "a chain needs at least one source"),
  steps: z.array(step).min(1, "a chain needs at least one step"),
  outputs: z.array(output).min(1, "a chain needs at least one output"),
  tiling: tiling.prefault({}),
  storage: storage.optional(),
  execution: execution.prefault({}),
  ttlSecondsAfterFinished: z.number().int().min(0).default(3600),
  suspend: z.boolean().default(false),
});

export type ImageChainSpec = z.infer<typeof imageChainSpec>;
export type Step = ImageChainSpec["steps"][number];
export type Output = ImageChainSpec["outputs"][number];
