import { z } from "zod";

/**
 * The ImageChain status (DESIGN.md): the one source for its TypeScript type and the CRD's status
 * schema. It stays small whatever the chain's size: counts, one compact bitmap per stage, one
 * entry per lane; per-tile detail lives on pods and in shared scratch.
 */

const count = z.number().int().min(0);
const time = z.iso.datetime();

/** metav1.Condition, with the API's own bounds and patterns. */
const condition = z.object({
  type: z
    .string()
    .max(316)
    .regex(
      /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/,
    ),
  status: z.enum(["True", "False", "Unknown"]),
  observedGeneration: count.optional(),
  lastTransitionTime: time,
  reason: z
    .string()
    .min(1)
    .max(1024)
    .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/),
  message: z.string().max(32768),
});

export const PHASES = ["Pending", "Running", "Succeeded", "Failed", "Suspended"] as const;

export const imageChainStatus = z.object({
  observedGeneration: count.optional(),
  phase: z.enum(PHASES).optional(),
  conditions: z.array(condition).max(16).optional(),
  /** "succeeded/total", the Progress printer column. */
  progress: z.string().max(64).optional(),
  tiles: z.object({ total: count, succeeded: count, running: count, failed: count.optional() }).optional(),
  stages: z
    .array(
      z.object({
        name: z.string().max(253),
        steps: z.array(z.string().max(63)).max(256),
        tiles: count,
        succeeded: count,
        /** progress.ts's encodeBitmap: about 20 KB for a million-tile stage half done. */
        done: z.string().max(1 << 20),
      }),
    )
    .max(4096)
    .optional(),
  /**
   * Per lane, packed (a thousand lanes on as many nodes stay a few KB): `phases` one letter per lane,
   * `nodes` deflated runs of node names, `volumes` and `batches` runs of numbers (operator/kube).
   * At most MAX_LANES (operator/plan/lanes.ts) lanes, the top of `execution.parallelism`.
   */
  lanes: z
    .object({
      count: count.max(65535),
      phases: z.string().max(65535),
      nodes: z.string().max(1 << 20),
      volumes: z.string().max(1 << 20),
      batches: z.string().max(1 << 20),
    })
    .optional(),
  startTime: time.optional(),
  completionTime: time.optional(),
  outputs: z
    .array(z.object({ uri: z.string().max(2048), bytes: count.optional() }))
    .max(64)
    .optional(),
});

export type ImageChainStatus = z.infer<typeof imageChainStatus>;
export type Condition = z.infer<typeof condition>;
