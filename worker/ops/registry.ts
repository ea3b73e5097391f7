import { bandmath } from "./bandmath.ts";
import { convolve } from "./convolve.ts";
import { mosaic } from "./mosaic.ts";
import type { OpDefinition } from "./op.ts";
import { ortho, reproject } from "./ortho.ts";
import { pansharpen } from "./pansharpen.ts";
import { stretch } from "./stretch.ts";

/** Every op of v1alpha1, by the name a step's `op` field uses. */
export const OPS = { bandmath, convolve, ortho, reproject, pansharpen, stretch, mosaic } as const;
export type OpName = keyof typeof OPS;
export const OP_NAMES = Object.keys(OPS) as OpName[];

/** The op of a step whose params were parsed by that op's own schema (the spec's discriminated union). */
export function opOf(name: OpName): OpDefinition<unknown> {
  return OPS[name] as unknown as OpDefinition<unknown>;
}
