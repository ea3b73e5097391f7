import { checkExpression } from "./bandmath/check.ts";
import { bandmathKernel } from "./bandmath/kernel.ts";
import { outputNodata, storable } from "./bandmath/nodata.ts";
import { bandmathParams, expressionsOf, type BandmathParams } from "./bandmath/params.ts";
import { parseExpression } from "./bandmath/parse.ts";
import { sameLattice, type Grid } from "./grid.ts";
import { defineOp, type OpIssue } from "./op.ts";

function expressionPath(p: BandmathParams, i: number): string {
  return typeof p.expression === "string" ? "params.expression" : `params.expression[${i}]`;
}

/** An output nodata that the output type cannot hold would never mark a pixel. */
function nodataIssue(p: BandmathParams): OpIssue[] {
  if (p.nodata === undefined || storable(p.dataType, p.nodata)) return [];
  return [
    {
      code: "nodata-range",
      path: "params.nodata",
      message: `nodata ${p.nodata} cannot be stored as ${p.dataType}`,
    },
  ];
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
  params: bandmathParams,
  inputs: { kind: "any", min: 1, max: 26 },
  checkParams: (p, aliases) => [
    ...checkAll(p, new Map(aliases.map((a) => [a, undefined]))),
    ...nodataIssue(p),
  ],
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
    const issue = [...checkAll(p, new Map(entries.map(([n, g]) => [n, g.bands]))), ...nodataIssue(p)][0];
    if (issue) return issue;
    const grid: Grid = {
      ...first,
      bands: expressionsOf(p).length,
      dataType: p.dataType,
      nodata: outputNodata(p.dataType, p.nodata, inputs.values()),
    };
    return grid;
  },
  footprint: () => ({ kind: "pointwise" }),
  kernel: bandmathKernel,
});
