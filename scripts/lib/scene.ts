/**
 * A deterministic Sentinel-2-like scene (bands B02 B03 B04 B08, UInt16 reflectance × 10 000, UTM 31N, 10 m):
 * rivers and lakes, crop parcels with their own vegetation vigour, towns, bare soil, a few soft clouds, and
 * no data (0) beyond the swath edge in the top-left corner.
 * Every pixel is a pure function of (x, y, seed), so any tile can be generated on its own and tiles always agree.
 */
import type { Block, Crs, GeoTransform } from "../../worker/io/raster.ts";

export interface SceneSpec {
  readonly width: number;
  readonly height: number;
  readonly seed: number;
}

export const SCENE_BANDS = ["B02", "B03", "B04", "B08"] as const;
export const SCENE_CRS: Crs = { epsg: 32631, wkt: null };

export function sceneGeoTransform(_spec: SceneSpec): GeoTransform {
  return [300000, 10, 0, 4900020, 0, -10];
}

// Land-cover signatures (B02, B03, B04, B08) in reflectance × 10 000.
const WATER = [620, 540, 330, 160];
const VEGETATION = [330, 640, 290, 3900];
const SOIL = [930, 1240, 1560, 2250];
const URBAN = [1250, 1330, 1420, 1750];
const CLOUD = [7800, 7900, 8000, 8100];

function hash2(ix: number, iy: number, seed: number): number {
  let h = Math.imul(ix, 0x27d4eb2d) ^ Math.imul(iy, 0x165667b1) ^ Math.imul(seed, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/** Smooth value noise in [0, 1) with cell size `scale` pixels. */
function valueNoise(x: number, y: number, scale: number, seed: number): number {
  const fx = x / scale;
  const fy = y / scale;
  const ix = Math.floor(fx);
  const iy = Math.floor(fy);
  const tx = fx - ix;
  const ty = fy - iy;
  const sx = tx * tx * (3 - 2 * tx);
  const sy = ty * ty * (3 - 2 * ty);
  const a = hash2(ix, iy, seed);
  const b = hash2(ix + 1, iy, seed);
  const c = hash2(ix, iy + 1, seed);
  const d = hash2(ix + 1, iy + 1, seed);
  return a + (b - a) * sx + (c - a) * sy + (a - b - c + d) * sx * sy;
}

function fractal(x: number, y: number, scale: number, octaves: number, seed: number): number {
  let sum = 0;
  let amplitude = 0.5;
  let norm = 0;
  for (let o = 0; o < octaves; o++) {
    sum += amplitude * valueNoise(x, y, scale, seed + o * 101);
    norm += amplitude;
    amplitude *= 0.5;
    scale *= 0.5;
  }
  return sum / norm;
}

/** Pixels of the window (x0, y0, width, height) of the scene, band-sequential. */
export function sceneBlock(spec: SceneSpec, x0: number, y0: number, width: number, height: number): Block {
  const n = width * height;
  const bands = [new Uint16Array(n), new Uint16Array(n), new Uint16Array(n), new Uint16Array(n)];
  const s = spec.seed;
  const signature = [0, 0, 0, 0];
  for (let row = 0; row < height; row++) {
    const y = y0 + row;
    for (let col = 0; col < width; col++) {
      const x = x0 + col;
      // The edge of the satellite's swath crosses the top-left corner: no data there (0 in every band).
      if (x + 0.25 * y < 0.12 * spec.width) continue;
      const terrain = fractal(x, y, 900, 3, s);
      // Rivers follow a contour of a warped noise field; lakes sit in the lowest terrain.
      const river = Math.abs(fractal(x + 3000, y, 1400, 2, s + 7) - 0.5);
      const water = terrain < 0.3 || river < 0.012;
      // Crop parcels: a slightly rotated grid of fields, each with its own crop and vigour.
      const u = x * 0.97 + y * 0.24 + 40 * valueNoise(x, y, 300, s + 11);
      const v = y * 0.97 - x * 0.24 + 40 * valueNoise(x, y, 300, s + 13);
      const pu = Math.floor(u / 160);
      const pv = Math.floor(v / 110);
      const parcel = hash2(pu, pv, s + 17);
      const town = fractal(x, y, 500, 2, s + 19) > 0.72;
      const texture = 0.9 + 0.2 * valueNoise(x, y, 3, s + 23);
      let base: number[];
      let mix: number;
      if (water) {
        base = WATER;
        mix = 0;
      } else if (town) {
        base = URBAN;
        mix = 0.25 * valueNoise(x, y, 8, s + 29);
      } else {
        // Parcel vigour blends bare soil into dense vegetation.
        base = SOIL;
        mix = parcel < 0.15 ? 0.05 : 0.25 + 0.75 * parcel * (0.85 + 0.3 * valueNoise(x, y, 25, s + 31));
      }
      const cloud = Math.max(0, fractal(x, y, 350, 2, s + 37) - 0.66) * 2.6;
      const i = row * width + col;
      for (let b = 0; b < 4; b++) {
        const surface = (base[b]! * (1 - mix) + VEGETATION[b]! * mix) * texture;
        signature[b] = surface * (1 - Math.min(cloud, 1)) + CLOUD[b]! * Math.min(cloud, 1);
        bands[b]![i] = Math.min(65535, Math.max(1, Math.round(signature[b]!)));
      }
    }
  }
  return { width, height, dataType: "uint16", bands };
}
