import { z } from "zod";
import { DATA_TYPES } from "../io/raster.ts";
import { storable } from "./bandmath/nodata.ts";
import { convolveKernel } from "./convolve/kernel.ts";
import { kernelRadius } from "./convolve/weights.ts";
import { retyped, type Grid } from "./grid.ts";
import { defineOp, type OpIssue } from "./op.ts";

const KINDS = ["matrix", "gaussian", "box", "sobel", "laplacian"] as const;

/**
 * One object with exactly one kind key (rather than a union), so that an error inside a kind is
 * reported at its own path (`kernel.box.size`) instead of "no union member matched".
 */
const kernel = z
  .strictObject({
    matrix: z.array(z.array(z.number()).min(1)).min(1).optional(),
    normalize: z.boolean().optional(),
    gaussian: z.strictObject({ sigma: z.number().positive().max(256) }).optional(),
    box: z
      .strictObject({
        size: z
          .number()
          .int()
          .positive()
          .refine((s) => s % 2 === 1, "a box needs an odd size to have a centre"),
      })
      .optional(),
    sobel: z.enum(["x", "y", "magnitude"]).optional(),
    laplacian: z.strictObject({}).optional(),
  })
  .superRefine(
    (k, ctx) => {
      const kinds = KINDS.filter((kind) => k[kind] !== undefined);
      if (kinds.length !== 1) {
        ctx.addIssue({
          code: "custom",
          path: [],
          message: `a kernel is exactly one of ${KINDS.join(", ")}; got ${kinds.length ? kinds.join(" and ") : "none"}`,
        });
      }
      if (k.normalize !== undefined && k.matrix === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["normalize"],
          message: "normalize applies to a matrix kernel only",
        });
      }
      if (k.matrix === undefined) return;
      const width = k.matrix[0]!.length;
      k.matrix.forEach((row, i) => {
        if (row.length !== width) {
          ctx.addIssue({
            code: "custom",
            path: ["matrix", i],
            message: `row ${i + 1} has ${row.length} values, row 1 has ${width}`,
          });
        }
      });
      if (k.matrix.length % 2 === 0 || width % 2 === 0) {
        ctx.addIssue({
          code: "custom",
          path: ["matrix"],
          message: `a kernel needs odd sides to have a centre, got ${width}x${k.matrix.length}`,
        });
      }
    }, // after unknown keys or bad fields, "exactly one kind" would only repeat the same mistake
    { when: (payload) => payload.issues.length === 0 },
  );
export type Kernel = z.infer<typeof kernel>;

const params = z.strictObject({
  kernel,
  border: z.union([z.enum(["reflect", "edge"]), z.strictObject({ constant: z.number() })]).default("reflect"),
  dataType: z.enum(DATA_TYPES).default("float32"),
  nodata: z.number().optional(),
});
export type ConvolveParams = z.infer<typeof params>;
/** The params as a user writes them (z.input: defaulted fields optional), for the TypeScript API. */
export { params as convolveParams };

/**
 * The output grid: the input's lattice as `dataType`, with nodata `params.nodata`, else the input's
 * (masked input pixels must stay masked), which the output type must be able to hold.
 */
function outputGrid(p: ConvolveParams, inputs: ReadonlyMap<string, Grid>): Grid | OpIssue {
  const [name, input] = [...inputs][0]!;
  const nodata = p.nodata ?? input.nodata;
  if (nodata === null || storable(p.dataType, nodata)) return { ...retyped(p, inputs), nodata };
  return {
    code: "nodata-range",
    path: p.nodata === undefined ? "params.dataType" : "params.nodata",
    message:
      p.nodata === undefined
        ? `the nodata ${nodata} of '${name}' cannot be stored as ${p.dataType}; set params.nodata`
        : `nodata ${nodata} cannot be stored as ${p.dataType}`,
  };
}

export const convolve = defineOp<ConvolveParams>({
  name: "convolve",
  params,
  inputs: { kind: "any", min: 1, max: 1 },
  outputGrid,
  footprint: (p) => ({ kind: "halo", radius: kernelRadius(p.kernel) }),
  kernel: convolveKernel,
});
