import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { pointTransform, projDefinition } from "../../../worker/ops/warp/crs.ts";
import { groundToImage, imageToGround, imageToTerrain } from "../../../worker/ops/warp/rpc-model.ts";
import { syntheticRpc } from "./rpc-fixtures.ts";

describe("RPC model", () => {
  const rpc = syntheticRpc(300);
  const out = new Float64Array(2);

  it("at the normalisation origin, the image position is the offsets plus the constant terms, +0.5", () => {
    groundToImage(rpc)(rpc.longOff, rpc.latOff, rpc.heightOff, out);
    expect(out[0]).toBeCloseTo(150 + -0.001 * 150 + 0.5, 12);
    expect(out[1]).toBeCloseTo(150 + 0.002 * 150 + 0.5, 12);
  });

  it("terms in GDAL's order: L, P, H are terms 2, 3, 4 (1-based)", () => {
    const z = Array.from({ length: 20 }, () => 0);
    const unit = (i: number) => z.map((_, k) => (k === i ? 1 : 0));
    const probe = { ...rpc, sampDenCoeff: unit(0), lineDenCoeff: unit(0) };
    const at = (i: number, lon: number, lat: number, h: number) => {
      groundToImage({ ...probe, sampNumCoeff: unit(i), lineNumCoeff: z })(lon, lat, h, out);
      return (out[0]! - 0.5 - rpc.sampOff) / rpc.sampScale;
    };
    const L = 0.5;
    const P = -0.25;
    const H = 0.75;
    const lon = rpc.longOff + L * rpc.longScale;
    const lat = rpc.latOff + P * rpc.latScale;
    const h = rpc.heightOff + H * rpc.heightScale;
    const expected = [
      1,
      L,
      P,
      H,
      L * P,
      L * H,
      P * H,
      L * L,
      P * P,
      H * H,
      P * L * H,
      L ** 3,
      L * P * P,
      L * H * H,
      L * L * P,
      P ** 3,
      P * H * H,
      L * L * H,
      P * P * H,
      H ** 3,
    ];
    expected.forEach((v, i) => expect(at(i, lon, lat, h)).toBeCloseTo(v, 12));
  });

  it("property: image → ground → image returns to the same pixel", () => {
    const g2i = groundToImage(rpc);
    const i2g = imageToGround(rpc);
    fc.assert(
      fc.property(
        fc.double({ min: -50, max: 350, noNaN: true }),
        fc.double({ min: -50, max: 350, noNaN: true }),
        fc.double({ min: -250, max: 750, noNaN: true }),
        (col, row, h) => {
          i2g(col, row, h, out);
          g2i(out[0]!, out[1]!, h, out);
          expect(Math.abs(out[0]! - col) + Math.abs(out[1]! - row)).toBeLessThan(1e-6);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("image → terrain", () => {
  const rpc = syntheticRpc(300);
  // hills of ±150 m around 300 m, varying over a few hundred metres
  const terrain = (lon: number, lat: number) => 300 + 150 * Math.sin(lon * 900) * Math.cos(lat * 700);

  it("property: the ground point found lies on the terrain and projects back to the pixel", () => {
    const i2t = imageToTerrain(rpc, terrain);
    const g2i = groundToImage(rpc);
    const out = new Float64Array(3);
    const back = new Float64Array(2);
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 300, noNaN: true }),
        fc.double({ min: 0, max: 300, noNaN: true }),
        (col, row) => {
          i2t(col, row, out);
          expect(Math.abs(out[2]! - terrain(out[0]!, out[1]!))).toBeLessThan(0.02);
          g2i(out[0]!, out[1]!, out[2]!, back);
          expect(Math.abs(back[0]! - col) + Math.abs(back[1]! - row)).toBeLessThan(1e-6);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("is NaN where the terrain is unknown", () => {
    const out = new Float64Array(3);
    imageToTerrain(rpc, () => NaN)(10, 10, out);
    expect([...out].every(Number.isNaN)).toBe(true);
  });
});

describe("CRS definitions", () => {
  it("spells out the common EPSG codes", () => {
    expect(projDefinition({ epsg: 32631, wkt: null })).toEqual({
      def: "+proj=utm +zone=31 +datum=WGS84 +units=m +no_defs",
    });
    expect(projDefinition({ epsg: 32733, wkt: null })).toEqual({
      def: "+proj=utm +zone=33 +south +datum=WGS84 +units=m +no_defs",
    });
    expect("def" in projDefinition({ epsg: 3857, wkt: null })).toBe(true);
    expect("def" in projDefinition({ epsg: 2154, wkt: null })).toBe(true);
  });

  it("names what it cannot do", () => {
    expect(projDefinition({ epsg: 27700, wkt: null })).toEqual({
      error: expect.stringContaining("EPSG:27700 is not known here"),
    });
    expect(projDefinition(null)).toEqual({ error: "the raster has no CRS" });
  });

  it("takes WKT (as GDAL writes it) for other CRSs", () => {
    const wkt =
      'PROJCS["WGS 84 / UTM zone 31N",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",3],PARAMETER["scale_factor",0.9996],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1]]';
    const d = projDefinition({ epsg: null, wkt });
    if (!("def" in d)) throw new Error(d.error);
    const out = new Float64Array(2);
    pointTransform("+proj=longlat +datum=WGS84 +no_defs", d.def)(3, 0, out);
    expect(out[0]).toBeCloseTo(500000, 3);
    expect(out[1]).toBeCloseTo(0, 3);
  });
});
