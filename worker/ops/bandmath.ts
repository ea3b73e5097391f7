import { z } from "zod";
import { DATA_TYPES } from "../io/raster.ts";
import { checkExpression } from "./bandmath/check.ts";
import { parseExpression } from "./bandmath/parse.ts";
import { sameLattice, type Grid } from "./grid.ts";
import { defineOp, type OpIssue } from "./op.ts";

const params = z.strictObject({
  expression: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  dataType: z.enum(DATA_TYPES).default("float32"),
  nodata: z.number().optional(),
});
export type BandmathParams = z.infer<typeof params>;

/** One output band per expression, in order. */
export function expressionsOf(p: BandmathParams): readonly string[] {
  return typeof p.expression === "string" ? [p.expression] : p.expression;
}

function expressionPath(p: BandmathParams, i: number): string {
  return typeof p.expression === "string" ? "params.expression" : `params.expression[${i}]`;
}

/** Parse and check every expression; `bands` undefined for an alias means its band count is not known yet. */
function checkAll(p: BandmathParams, bands: ReadonlyMap<string, number | undefined>): OpIssue[] {
  const issues: OpIssue[] = [];
  expressionsOf(p).forEach((src, i) => {
    const parsed = parseExpression(src);
    const error = parsed.ok ? checkExpression(parsed.expr, bands) : parsed.error;
    if (error) {
      const code = parsed.ok ? "expression-reference" : "expression-syntax";
      issues.push({
        code,
        path: expressionPath(p, i),
        message: `${error.message} (at character ${error.at + 1} of "${src}")`,
      });
    }
  });
  return issues;
}

export const bandmath = defineOp<BandmathParams>({
  name: "bandmath",
  params,
  inputs: { kind: "any", min: 1, max: 26 },
  checkParams: (p, aliases) => checkAll(p, new Map(aliases.map((a) => [a, undefined]))),
  outputGrid(p, inputs) {
    const entries = [...inputs];
    const [firstName, first] = entries[0]!;
    for (const [name, grid] of entries.slice(1)) {
      if (!sameLattice(first, grid)) {
        return {
          code: "grid-mismatch",
          path: `inputs.${name}`,
          message: `'${name}' (${grid.width}x${grid.height}) is not on the grid of '${firstName}' (${first.width}x${first.height}); bandmath is pixel by pixel: reproject it first`,
        };
      }
    }
    const issue = checkAll(p, new Map(entries.map(([n, g]) => [n, g.bands])))[0];
    if (issue) return issue;
    const grid: Grid = {
      ...first,
      bands: expressionsOf(p).length,
      dataType: p.dataType,
      nodata: p.nodata ?? null,
    };
    return grid;
  },
  footprint: () => ({ kind: "pointwise" }),
});
