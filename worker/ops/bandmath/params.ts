import { z } from "zod";
import { DATA_TYPES } from "../../io/raster.ts";

export const bandmathParams = z.strictObject({
  expression: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  dataType: z.enum(DATA_TYPES).default("float32"),
  nodata: z.number().optional(),
});
export type BandmathParams = z.infer<typeof bandmathParams>;

/** One output band per expression, in order. */
export function expressionsOf(p: BandmathParams): readonly string[] {
  return typeof p.expression === "string" ? [p.expression] : p.expression;
}
