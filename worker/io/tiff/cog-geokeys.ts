/** GeoTIFF georeferencing tags for a COG's main IFD: GeoKeyDirectory plus model tiepoint/scale or transformation. */
import type { Crs, GeoTransform } from "../raster.ts";
import { isGeographicEpsg } from "./cog-epsg-geographic.ts";
import type { TiffTag } from "./cog-ifd.ts";
import { Tag } from "./ifd-tags.ts";

const GT_MODEL_TYPE = 1024;
const GT_RASTER_TYPE = 1025;
const GEOGRAPHIC_TYPE = 2048;
const PROJECTED_CS_TYPE = 3072;
const MODEL_PROJECTED = 1;
const MODEL_GEOGRAPHIC = 2;
const RASTER_PIXEL_IS_AREA = 1;

export function geoTags(
  crs: Crs,
  crsKind: "geographic" | "projected" | null,
  geoTransform: GeoTransform | null,
): TiffTag[] {
  const tags: TiffTag[] = [];
  if (geoTransform) {
    const [x0, dx, rx, y0, ry, dy] = geoTransform;
    if (rx === 0 && ry === 0 && dy < 0) {
      tags.push({ tag: Tag.ModelPixelScale, type: "DOUBLE", values: [dx, -dy, 0] });
      tags.push({ tag: Tag.ModelTiepoint, type: "DOUBLE", values: [0, 0, 0, x0, y0, 0] });
    } else {
      const matrix = [dx, rx, 0, x0, ry, dy, 0, y0, 0, 0, 0, 0, 0, 0, 0, 1];
      tags.push({ tag: Tag.ModelTransformation, type: "DOUBLE", values: matrix });
    }
  }
  const keys: [number, number][] = [[GT_RASTER_TYPE, RASTER_PIXEL_IS_AREA]];
  if (crs.epsg !== null) {
    const geographic = crsKind ? crsKind === "geographic" : isGeographicEpsg(crs.epsg);
    keys.push([GT_MODEL_TYPE, geographic ? MODEL_GEOGRAPHIC : MODEL_PROJECTED]);
    keys.push([geographic ? GEOGRAPHIC_TYPE : PROJECTED_CS_TYPE, crs.epsg]);
  }
  if (crs.epsg !== null || geoTransform) {
    keys.sort((a, b) => a[0] - b[0]);
    const directory = [1, 1, 0, keys.length, ...keys.flatMap(([key, value]) => [key, 0, 1, value])];
    tags.push({ tag: Tag.GeoKeyDirectory, type: "SHORT", values: directory });
  }
  return tags;
}
