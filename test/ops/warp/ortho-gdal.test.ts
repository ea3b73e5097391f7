import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Block } from "../../../worker/io/raster.ts";
import { openRaster } from "../../../worker/io/tiff/reader.ts";
import type { Grid } from "../../../worker/ops/grid.ts";
import type { KernelInput } from "../../../worker/ops/kernel.ts";
import { ortho, type OrthoParams } from "../../../worker/ops/ortho.ts";
import { gridOf } from "../../../worker/run/sources.ts";
import { gdalinfoJson, hasGdal, readWithGdal, run } from "../../helpers/gdal.ts";
import { diffStats } from "./compare.ts";
import { makeRpcScene, type RpcScene } from "./rpc-fixtures.ts";

/** Around the image (centre ≈ 374090 E, 4828629 N in UTM 31N), with nodata beyond its edges. */
const TE = [373370, 4827909, 374810, 4829349] as const;
const RES = 3;

async function whole(path: string): Promise<KernelInput> {
  const r = await openRaster(path);
  try {
    const window = { x: 0, y: 0, width: r.info.width, height: r.info.height };
    return { block: await r.readWindow(window), window, grid: gridOf(r.info) };
  } finally {
    await r.close();
  }
}

/** Our ortho on whole inputs, in one kernel call. */
async function orthoWhole(
  scene: RpcScene,
  params: Record<string, unknown>,
  dem: string | null,
): Promise<{ grid: Grid; block: Block }> {
  const image = await whole(scene.image);
  const inputs = new Map([["image", image]]);
  if (dem) inputs.set("dem", await whole(dem));
  const p: OrthoParams = ortho.params.parse(params);
  const grid = ortho.outputGrid(p, new Map([...inputs].map(([k, v]) => [k, v.grid]))) as Grid;
  const window = { x: 0, y: 0, width: grid.width, height: grid.height };
  return { grid, block: ortho.kernel(p, inputs, { window, grid }) };
}

async function gdalOrtho(
  scene: RpcScene,
  dem: string | null,
  height: number,
  method: string,
  et: number,
  out: string,
) {
  await run("gdalwarp", [
    "-q",
    "-overwrite",
    "-rpc",
    ...(dem ? ["-to", `RPC_DEM=${dem}`] : []),
    ...["-to", `RPC_HEIGHT=${height}`],
    "-r",
    method,
    "-et",
    String(et),
    "-t_srs",
    "EPSG:32631",
    "-tr",
    String(RES),
    String(RES),
    "-te",
    ...TE.map(String),
    "-dstnodata",
    "0",
    scene.image,
    out,
  ]);
  return readWithGdal(out);
}

describe.skipIf(!hasGdal && !process.env.CI)("ortho vs gdalwarp -rpc", () => {
  const dir = mkdtempSync(join(tmpdir(), "ortho-gdal-"));
  let scene: RpcScene;
  let utmDem: string;
  beforeAll(async () => {
    scene = await makeRpcScene(dir, 300, 4326);
    utmDem = (await makeRpcScene(dir, 300, 32631)).dem;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cases = [
    {
      name: "DEM in WGS 84, bilinear, exact transforms",
      dem: "4326",
      method: "bilinear",
      et: 0,
      maxError: 0.001,
    },
    {
      name: "DEM in UTM, bilinear, exact transforms",
      dem: "32631",
      method: "bilinear",
      et: 0,
      maxError: 0.001,
    },
    { name: "DEM in WGS 84, cubic, exact transforms", dem: "4326", method: "cubic", et: 0, maxError: 0.001 },
    {
      name: "DEM in WGS 84, nearest, exact transforms",
      dem: "4326",
      method: "nearest",
      et: 0,
      maxError: 0.001,
    },
    {
      name: "constant height 120 (RPC_HEIGHT), bilinear, exact transforms",
      dem: null,
      height: 120,
      method: "bilinear",
      et: 0,
      maxError: 0.001,
    },
    {
      // gdalwarp's default with RPC_DEM is exact (-et 0); ours approximates within its default 0.125 px
      name: "DEM in WGS 84, bilinear, default maxError 0.125 vs gdalwarp's default",
      dem: "4326",
      method: "bilinear",
      et: 0,
      maxError: 0.125,
    },
    {
      name: "DEM in WGS 84 + 40 m (RPC_HEIGHT), bilinear, default maxError",
      dem: "4326",
      height: 40,
      method: "bilinear",
      et: 0,
      maxError: 0.125,
    },
  ] as const;

  for (const c of cases) {
    it(c.name, async () => {
      const dem = c.dem === null ? null : c.dem === "4326" ? scene.dem : utmDem;
      const params = {
        crs: "EPSG:32631",
        resolution: RES,
        bounds: [...TE],
        resampling: c.method,
        maxError: c.maxError,
        ...("height" in c ? { height: c.height } : {}),
      };
      const ours = await orthoWhole(scene, params, dem);
      const out = join(dir, `gdal-${c.name.replace(/\W+/g, "_")}.tif`);
      const expected = await gdalOrtho(scene, dem, "height" in c ? c.height : 0, c.method, c.et, out);
      const info = await gdalinfoJson(out);
      expect([ours.grid.width, ours.grid.height]).toEqual(info.size);
      expect([...ours.grid.geoTransform!]).toEqual(info.geoTransform);
      for (let b = 0; b < 2; b++) {
        const s = diffStats(ours.block.bands[b]!, expected.bands[b]!, ours.grid.width, ours.grid.height, 0);
        // the image covers about 40 % of the output
        expect(s.compared).toBeGreaterThan(0.3 * ours.grid.width * ours.grid.height);
        if (c.method === "nearest") {
          // a position within ~1e-4 px of a pixel edge may pick either neighbour
          expect(s.mean).toBeLessThanOrEqual(0.5);
          expect(s.differing).toBeLessThan(0.002 * s.compared);
        } else if (c.maxError > 0.001) {
          // positions within ~0.006 px of exact, on a texture whose gradient reaches ~1300 DN/px
          // (measured: mean 1.2 and 0.7, max 6 and 3)
          expect(s.mean).toBeLessThanOrEqual(1.5);
          expect(s.max).toBeLessThanOrEqual(10);
        } else {
          expect(s.mean).toBeLessThanOrEqual(0.5);
          // a UTM DEM goes through proj4js here and PROJ in GDAL: a few DN in one small cluster
          expect(s.max).toBeLessThanOrEqual(c.dem === "32631" ? 8 : 2);
        }
        // the image edge agrees to a pixel's width: mismatches only along its outline
        expect(s.validityMismatch).toBeLessThan(4 * (ours.grid.width + ours.grid.height));
      }
    });
  }
});
