import type { z } from "zod";
import type { Footprint } from "./footprint.ts";
import type { Grid } from "./grid.ts";
import type { Kernel } from "./kernel.ts";

/** A problem found in one step, with a path relative to the step (`params.expression`, `inputs.ms`). */
export interface OpIssue {
  readonly code: string;
  readonly path: string;
  readonly message: string;
}

/** Which input aliases an op takes: fixed names (some optional), or any names within a count. */
export type InputRule =
  | { readonly kind: "named"; readonly required: readonly string[]; readonly optional: readonly string[] }
  | { readonly kind: "any"; readonly min: number; readonly max: number };

/**
 * What the planner needs from an op, declared by the worker that runs it: the params schema, the
 * output grid derived from the input grids, and per input the footprint of one output tile.
 */
export interface OpDefinition<P> {
  readonly name: string;
  readonly params: z.ZodType<P, unknown>;
  readonly inputs: InputRule;
  /** Checks that need the params and input aliases only (spec validation, before any grid is known). */
  readonly checkParams?: (params: P, aliases: readonly string[]) => OpIssue[];
  readonly outputGrid: (params: P, inputs: ReadonlyMap<string, Grid>) => Grid | OpIssue;
  readonly footprint: (params: P, input: string, inputGrid: Grid, output: Grid) => Footprint;
  /** The pixels of one output tile. */
  readonly kernel: Kernel<P>;
}

export function defineOp<P>(def: OpDefinition<P>): OpDefinition<P> {
  return def;
}

/**
 * The margin, in input pixels, that a resampling kernel reaches beyond the mapped position: 2 for cubic
 * (4 x 4 taps), 1 for bilinear (2 x 2) and for nearest (rounding at a pixel edge may pick the next one).
 */
export function resamplingMargin(resampling: "nearest" | "bilinear" | "cubic"): number {
  return resampling === "cubic" ? 2 : 1;
}
