import { z } from "zod";

/** Param pieces shared by the ops that resample onto a map grid (ortho, reproject, mosaic, pansharpen). */
export const epsg = z.string().regex(/^EPSG:\d+$/, 'expected "EPSG:<code>", e.g. "EPSG:32631"');
export const resampling = z.enum(["nearest", "bilinear", "cubic"]);
export const bounds = z
  .tuple([z.number(), z.number(), z.number(), z.number()])
  .refine(
    ([xmin, ymin, xmax, ymax]) => xmin < xmax && ymin < ymax,
    "bounds are [xmin, ymin, xmax, ymax] with xmin < xmax and ymin < ymax",
  );

export function epsgCode(crs: string): number {
  return Number(crs.slice("EPSG:".length));
}
