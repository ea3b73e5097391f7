import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openRaster, type RasterInfo } from "../../worker/io/tiff/reader.ts";
import { gdalinfoJson, hasGdal, makeRasters, type RasterSpec } from "../helpers/gdal.ts";

const base = { width: 64, height: 48, bands: 1, dataType: "uint8" } as const;
const RPC: Record<string, string> = {
  ERR_BIAS: "0.5",
  ERR_RAND: "0.25",
  LINE_OFF: "5120.5",
  SAMP_OFF: "6143.25",
  LAT_OFF: "43.6119",
  LONG_OFF: "1.4425",
  HEIGHT_OFF: "172.125",
  LINE_SCALE: "5121",
  SAMP_SCALE: "6144",
  LAT_SCALE: "0.0912",
  LONG_SCALE: "0.1253",
  HEIGHT_SCALE: "500",
  LINE_NUM_COEFF: coeffs(1),
  LINE_DEN_COEFF: coeffs(2),
  SAMP_NUM_COEFF: coeffs(3),
  SAMP_DEN_COEFF: coeffs(4),
};

function coeffs(seed: number): string {
  return Array.from({ length: 20 }, (_, i) =>
    i === 0 ? 1 : ((seed * 7919 + i * 104729) % 2001) / 1e5 - 0.01,
  ).join(" ");
}

/** name → file; each is compared with gdalinfo -json. */
const CASES: Record<string, Omit<RasterSpec, "path">> = {
  "UTM 31N, north-up (tiepoint + pixel scale)": {
    ...base,
    epsg: 32631,
    geoTransform: [399960, 10, 0, 4900020, 0, -10],
  },
  "WGS 84 geographic": { ...base, epsg: 4326, geoTransform: [1.25, 0.001, 0, 43.75, 0, -0.001] },
  "rotated (ModelTransformation), Web Mercator": {
    ...base,
    epsg: 3857,
    geoTransform: [160000, 9.5, 1.5, 5400000, 2.5, -9.75],
  },
  "PixelIsPoint shifts by half a pixel": {
    ...base,
    epsg: 32631,
    geoTransform: [399960, 10, 0, 4900020, 0, -10],
    pixelIsPoint: true,
  },
  "user-defined transverse Mercator": {
    ...base,
    srs: "+proj=tmerc +lat_0=0 +lon_0=3.3 +k=0.9996 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs",
    geoTransform: [500000, 2, 0, 4800000, 0, -2],
  },
  "no georeference": { ...base },
  "float nodata -9999": { ...base, dataType: "float32", nodata: -9999 },
  "float nodata NaN": { ...base, dataType: "float64", nodata: Number.NaN },
  "RPC tag 50844": { ...base, rpc: RPC },
};

let dir: string;
const path = (name: string) => join(dir, `${name.replace(/[^a-z0-9]+/gi, "_")}.tif`);

async function info(name: string): Promise<RasterInfo> {
  const r = await openRaster(path(name));
  await r.close();
  return r.info;
}

describe.skipIf(!hasGdal && !process.env.CI)("georeference, nodata and RPC equal gdalinfo", () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "imagechain-info-"));
    await makeRasters(Object.entries(CASES).map(([name, spec]) => ({ ...spec, path: path(name) })));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  for (const name of Object.keys(CASES)) {
    test(name, async () => {
      const got = await info(name);
      const want = await gdalinfoJson(path(name));
      expect(got.crs.epsg).toBe(want.stac?.["proj:epsg"] ?? null);
      if (want.geoTransform) {
        got.geoTransform!.forEach((v, i) => expect(v).toBeCloseTo(want.geoTransform![i]!, 9));
      } else {
        expect(got.geoTransform).toBeNull();
      }
      const nd = want.bands[0]!.noDataValue;
      expect(got.nodata).toEqual(nd === undefined ? null : nd === "NaN" ? Number.NaN : nd);
      if (name.includes("NaN")) expect(got.nodata).toBeNaN();
    });
  }

  test("PixelIsPoint: the origin is the corner of the first pixel, as GDAL reports", async () => {
    const got = await info("PixelIsPoint shifts by half a pixel");
    expect(got.geoTransform).toEqual([399960, 10, 0, 4900020, 0, -10]);
  });

  test("user-defined CRS: no EPSG code, geotransform still read", async () => {
    const got = await info("user-defined transverse Mercator");
    expect(got.crs).toEqual({ epsg: null, wkt: null });
    expect(got.geoTransform).toEqual([500000, 2, 0, 4800000, 0, -2]);
  });

  test("RPC coefficients equal GDAL's RPC metadata, in GDAL's order", async () => {
    const got = (await info("RPC tag 50844")).rpc!;
    const md = (await gdalinfoJson(path("RPC tag 50844"))).metadata!["RPC"]!;
    const list = (s: string) => s.trim().split(/\s+/).map(Number);
    const scalars: [keyof typeof got, string][] = [
      ["errBias", "ERR_BIAS"],
      ["errRand", "ERR_RAND"],
      ["lineOff", "LINE_OFF"],
      ["sampOff", "SAMP_OFF"],
      ["latOff", "LAT_OFF"],
      ["longOff", "LONG_OFF"],
      ["heightOff", "HEIGHT_OFF"],
      ["lineScale", "LINE_SCALE"],
      ["sampScale", "SAMP_SCALE"],
      ["latScale", "LAT_SCALE"],
      ["longScale", "LONG_SCALE"],
      ["heightScale", "HEIGHT_SCALE"],
    ];
    for (const [key, gdalKey] of scalars) expect(got[key]).toBeCloseTo(Number(md[gdalKey]), 12);
    for (const [key, gdalKey] of [
      ["lineNumCoeff", "LINE_NUM_COEFF"],
      ["lineDenCoeff", "LINE_DEN_COEFF"],
      ["sampNumCoeff", "SAMP_NUM_COEFF"],
      ["sampDenCoeff", "SAMP_DEN_COEFF"],
    ] as const) {
      expect(got[key]).toHaveLength(20);
      got[key].forEach((v, i) => expect(v).toBeCloseTo(list(md[gdalKey]!)[i]!, 12));
    }
    expect(got.lineNumCoeff).not.toEqual(got.sampNumCoeff);
    expect(await info("no georeference")).toMatchObject({ rpc: null });
  });
});
