import proj4 from "proj4";
import type { Crs } from "../../io/raster.ts";

/**
 * Coordinate transformations through proj4js. proj4 carries no EPSG database, so the codes that
 * Earth-observation chains use are spelled out here (WGS 84, Web Mercator, UTM on WGS 84 and ETRS89,
 * Lambert-93); any other CRS needs its WKT.
 */

const WGS84 = "+proj=longlat +datum=WGS84 +no_defs";

/** A proj4 definition for a CRS, or a message saying why there is none. */
export function projDefinition(crs: Crs | null): { def: string } | { error: string } {
  if (crs === null) return { error: "the raster has no CRS" };
  const code = crs.epsg;
  if (code !== null) {
    if (code === 4326) return { def: WGS84 };
    if (code === 3857) {
      return {
        def: "+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +no_defs",
      };
    }
    const zone = code % 100;
    const series = Math.floor(code / 100);
    if ((series === 326 || series === 327) && zone >= 1 && zone <= 60) {
      return {
        def: `+proj=utm +zone=${zone}${series === 327 ? " +south" : ""} +datum=WGS84 +units=m +no_defs`,
      };
    }
    if (series === 258 && zone >= 28 && zone <= 38) {
      return { def: `+proj=utm +zone=${zone} +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs` };
    }
    if (code === 2154) {
      return {
        def: "+proj=lcc +lat_0=46.5 +lon_0=3 +lat_1=49 +lat_2=44 +x_0=700000 +y_0=6600000 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs",
      };
    }
  }
  if (crs.wkt !== null) {
    try {
      proj4(crs.wkt, WGS84);
      return { def: crs.wkt };
    } catch (e) {
      return { error: `its WKT is not understood by proj4 (${(e as Error).message})` };
    }
  }
  return {
    error: `EPSG:${code} is not known here: use EPSG:4326, 3857, 326xx/327xx (UTM WGS 84), 258xx (UTM ETRS89), 2154, or a CRS given as WKT`,
  };
}

/** A point transformation writing (x, y) to out[0], out[1]; NaN when the point cannot be transformed. */
export type PointTransform = (x: number, y: number, out: Float64Array) => void;

const converters = new Map<string, proj4.Converter>();

function converter(from: string, to: string): proj4.Converter {
  const key = `${from}\n${to}`;
  let c = converters.get(key);
  if (!c) converters.set(key, (c = proj4(from, to)));
  return c;
}

/** from → to; the identity (no proj4 call) when both definitions are the same. */
export function pointTransform(from: string, to: string): PointTransform {
  if (from === to) {
    return (x, y, out) => {
      out[0] = x;
      out[1] = y;
    };
  }
  const c = converter(from, to);
  return (x, y, out) => {
    try {
      const p = c.forward([x, y]);
      out[0] = Number.isFinite(p[0]) ? p[0]! : NaN;
      out[1] = Number.isFinite(p[1]) ? p[1]! : NaN;
    } catch {
      out[0] = NaN;
      out[1] = NaN;
    }
  };
}

/** Definition of WGS 84 longitude / latitude, the ground coordinates of an RPC model. */
export const LONLAT = WGS84;
