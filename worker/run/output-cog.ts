/** The COG each output becomes: its spec from the output step's grid, checked against the planned pyramid. */
import type { Plan } from "../../operator/plan/plan.ts";
import { IoError } from "../io/errors.ts";
import { isIntegerType } from "../io/raster.ts";
import { resolveCogSpec, type ResolvedCogSpec } from "../io/tiff/cog-spec.ts";
import type { TileEncoding } from "../io/tiff/encode/tile-encoder.ts";
import type { Downsample } from "../io/tiff/overview.ts";
import { outputLevels } from "./products.ts";

/** Resolved COG specs of every output, in `spec.outputs` order; throws (naming the URI) what cannot be written. */
export function outputCogs(plan: Plan): readonly ResolvedCogSpec[] {
  const levels = outputLevels(plan);
  return plan.spec.outputs.map((o, j) => {
    const grid = plan.grids.get(o.step)!;
    const cog = resolveCogSpec(
      {
        width: grid.width,
        height: grid.height,
        bandCount: grid.bands,
        dataType: grid.dataType,
        tileSize: plan.spec.tiling.tileSize,
        compression: o.compression,
        crs: grid.crs ?? { epsg: null, wkt: null },
        geoTransform: grid.geoTransform,
        nodata: grid.nodata,
        overviews: "auto",
        resampling: "average",
      },
      o.uri,
    );
    if (cog.levels.length !== levels[j]!.length) {
      throw new IoError(
        "invalid-argument",
        o.uri,
        `the plan has ${levels[j]!.length} pyramid levels, the COG ${cog.levels.length}`,
      );
    }
    return cog;
  });
}

export function tileEncoding(cog: ResolvedCogSpec): TileEncoding {
  return {
    compression: cog.compression,
    level: cog.level,
    dataType: cog.dataType,
    tileSize: cog.tileSize,
    samplesPerPixel: cog.bandCount,
    fill: cog.fill,
  };
}

export function downsampling(cog: ResolvedCogSpec): Downsample {
  return {
    resampling: cog.resampling,
    integer: isIntegerType(cog.dataType),
    nodata: cog.nodata,
    fill: cog.fill,
  };
}
