/** ortho through `imagechain run` (planner footprints, tiles, workers): against gdalwarp, and across worker counts. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { imagechain } from "../../helpers/cli.ts";
import { gdalinfoJson, hasGdal, readWithGdal, run } from "../../helpers/gdal.ts";
import { writeChain } from "../../run/fixtures.ts";
import { diffStats } from "./compare.ts";
import { makeRpcScene, type RpcScene } from "./rpc-fixtures.ts";

const TE = [373370, 4827909, 374810, 4829349];

describe.skipIf(!hasGdal && !process.env.CI)("ortho in a chain", () => {
  const dir = mkdtempSync(join(tmpdir(), "ortho-chain-"));
  let scene: RpcScene;
  beforeAll(async () => {
    scene = await makeRpcScene(dir, 300, 4326);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const sources = () => ({
    scene: { uri: pathToFileURL(scene.image).href },
    dem: { uri: pathToFileURL(scene.dem).href },
  });

  it("imagechain run (2 workers, 128-px tiles) matches gdalwarp -rpc -to RPC_DEM", async () => {
    const ours = join(dir, "ortho.tif");
    const chain = {
      sources: sources(),
      steps: [
        {
          name: "ortho",
          op: "ortho",
          inputs: { image: "scene", dem: "dem" },
          params: {
            crs: "EPSG:32631",
            resolution: 3,
            bounds: TE,
            resampling: "bilinear",
            maxError: 0.001,
            nodata: 0,
          },
        },
      ],
      outputs: [{ step: "ortho", uri: pathToFileURL(ours).href }],
      tiling: { tileSize: 128 },
    };
    const r = await imagechain(["run", await writeChain(dir, "ortho.yaml", chain), "--workers", "2"]);
    expect(r.code, r.stderr).toBe(0);
    const theirs = join(dir, "gdalwarp.tif");
    await run("gdalwarp", [
      ...["-q", "-rpc", "-to", `RPC_DEM=${scene.dem}`, "-r", "bilinear", "-et", "0", "-t_srs", "EPSG:32631"],
      ...["-tr", "3", "3", "-te", ...TE.map(String), "-dstnodata", "0", scene.image, theirs],
    ]);
    const [a, b, infoA, infoB] = await Promise.all([
      readWithGdal(ours),
      readWithGdal(theirs),
      gdalinfoJson(ours),
      gdalinfoJson(theirs),
    ]);
    expect(infoA.size).toEqual(infoB.size);
    expect(infoA.geoTransform).toEqual(infoB.geoTransform);
    for (let band = 0; band < 2; band++) {
      const s = diffStats(a.bands[band]!, b.bands[band]!, a.width, a.height, 0);
      expect(s.compared).toBeGreaterThan(0.3 * a.width * a.height);
      expect(s.mean).toBeLessThanOrEqual(0.5);
      expect(s.max).toBeLessThanOrEqual(2);
    }
  });

  it("ortho (default grid) → bandmath → convolve is byte-identical with 1 and 3 workers", async () => {
    const outputs: Buffer[] = [];
    for (const workers of [1, 3]) {
      const out = join(dir, `chain-${workers}.tif`);
      const chain = {
        sources: sources(),
        steps: [
          {
            name: "ortho",
            op: "ortho",
            inputs: { image: "scene", dem: "dem" },
            params: { crs: "EPSG:32631", resolution: 4, resampling: "cubic" },
          },
          {
            name: "ratio",
            op: "bandmath",
            inputs: { im: "ortho" },
            params: { expression: "im.b1 / (im.b2 + 1)" },
          },
          {
            name: "smooth",
            op: "convolve",
            inputs: { im: "ratio" },
            params: { kernel: { gaussian: { sigma: 1 } } },
          },
        ],
        outputs: [{ step: "smooth", uri: pathToFileURL(out).href }],
        tiling: { tileSize: 64 },
      };
      const r = await imagechain([
        "run",
        await writeChain(dir, `chain-${workers}.yaml`, chain),
        "--workers",
        String(workers),
      ]);
      expect(r.code, r.stderr).toBe(0);
      outputs.push(readFileSync(out));
    }
    expect(outputs[0]!.equals(outputs[1]!)).toBe(true);
    const info = await gdalinfoJson(join(dir, "chain-1.tif"));
    // the image's ground footprint (≈ 1.3 km at the model's mean height) snapped to 4 m
    expect(info.geoTransform![1]).toBe(4);
    expect(info.geoTransform![0]! % 4).toBe(0);
    expect(info.size[0]).toBeGreaterThan(300);
    expect(info.size[0]).toBeLessThan(420);
  });
});
