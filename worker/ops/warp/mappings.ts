import type { Rpc } from "../../io/tiff/rpc.ts";
import type { Grid } from "../grid.ts";
import type { ExactMapping } from "./approx.ts";
import { LONLAT, pointTransform, projDefinition } from "./crs.ts";
import { invertGeoTransform, type HeightAt } from "./dem.ts";
import { groundToImage } from "./rpc-model.ts";

/**
 * The exact output-pixel → input-pixel mappings of ortho and reproject (continuous pixel coordinates,
 * corners at integers), shared by the kernels (through the approximate transformer) and the footprints.
 * A mapping is null-free: points that cannot be mapped come out as NaN. Construction fails with a
 * message naming what is missing.
 */
export type MappingResult = { readonly map: ExactMapping } | { readonly error: string };

/** Output pixel → WGS 84 lon/lat → height → RPC → image pixel. */
export function orthoMapping(rpc: Rpc, output: Grid, heightAt: HeightAt): MappingResult {
  const gt = output.geoTransform;
  if (gt === null) return { error: "the output grid has no geotransform" };
  const def = projDefinition(output.crs);
  if ("error" in def) return { error: `the output CRS: ${def.error}` };
  const toLonLat = pointTransform(def.def, LONLAT);
  const g2i = groundToImage(rpc);
  return {
    map: (x, y, out) => {
      toLonLat(gt[0] + x * gt[1] + y * gt[2], gt[3] + x * gt[4] + y * gt[5], out);
      const lon = out[0]!;
      const lat = out[1]!;
      const h = heightAt(lon, lat);
      if (Number.isNaN(h) || Number.isNaN(lon)) {
        out[0] = NaN;
        out[1] = NaN;
        return;
      }
      g2i(lon, lat, h, out);
    },
  };
}

/** Output pixel → output map coordinates → (proj4) input map coordinates → input pixel. */
export function reprojectMapping(output: Grid, input: Grid): MappingResult {
  const gt = output.geoTransform;
  if (gt === null) return { error: "the output grid has no geotransform" };
  const inv = input.geoTransform && invertGeoTransform(input.geoTransform);
  if (!inv) return { error: "the input has no (invertible) geotransform" };
  const from = projDefinition(output.crs);
  if ("error" in from) return { error: `the output CRS: ${from.error}` };
  const to = projDefinition(input.crs);
  if ("error" in to) return { error: `the input CRS: ${to.error}` };
  const project = pointTransform(from.def, to.def);
  return {
    map: (x, y, out) => {
      project(gt[0] + x * gt[1] + y * gt[2], gt[3] + x * gt[4] + y * gt[5], out);
      const mx = out[0]!;
      const my = out[1]!;
      out[0] = inv[0] + mx * inv[1] + my * inv[2];
      out[1] = inv[3] + mx * inv[4] + my * inv[5];
    },
  };
}
