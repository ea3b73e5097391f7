import type { Plan } from "../../operator/plan/plan.ts";
import type { Step } from "../../operator/spec/schema.ts";
import type { S3Options } from "../io/s3.ts";
import type { ResolvedCogSpec } from "../io/tiff/cog-spec.ts";
import type { RasterReader } from "../io/tiff/reader.ts";
import type { ArrayPool } from "./array-pool.ts";
import type { Scratch } from "./scratch.ts";

/** What a worker holds for the whole of its life: the plan, open sources, scratch, the output COG specs. */
export interface WorkerContext {
  readonly plan: Plan;
  readonly steps: ReadonlyMap<string, Step>;
  readonly sources: ReadonlyMap<string, RasterReader>;
  readonly scratch: Scratch;
  readonly cogs: readonly ResolvedCogSpec[];
  readonly s3: S3Options;
  readonly pool: ArrayPool;
}

/** What one task did: the bytes it left in scratch, and for an assembly the output it wrote. */
export interface TaskResult {
  readonly scratchBytes: number;
  readonly output?: { readonly uri: string; readonly bytes: number };
}
