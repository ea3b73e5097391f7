/** The engine's NDVI against GDAL's own band calculator (gdal_calc.py) on the same scene. */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRaster } from "../../worker/io/tiff/reader.ts";
import { hasGdal, readWithGdal, run } from "../helpers/gdal.ts";
import { imagechain } from "../helpers/cli.ts";
import { makeScene, NDVI, writeChain, type Scene } from "./fixtures.ts";

let scene: Scene;
beforeAll(async () => {
  scene = await makeScene(600, 450);
});
afterAll(() => rm(scene.dir, { recursive: true, force: true }));

describe.skipIf(!hasGdal && !process.env.CI)("NDVI against gdal_calc.py", () => {
  it("matches within 1e-6, nodata where gdal_calc has nodata", async () => {
    const ours = join(scene.dir, "ndvi.tif");
    const chain = {
      sources: { scene: { uri: scene.uri } },
      steps: [{ name: "ndvi", op: "bandmath", inputs: { im: "scene" }, params: { expression: NDVI } }],
      outputs: [{ step: "ndvi", uri: pathToFileURL(ours).href }],
      tiling: { tileSize: 128 },
    };
    const r = await imagechain(["run", await writeChain(scene.dir, "ndvi.yaml", chain), "--workers", "2"]);
    expect(r.code, r.stderr).toBe(0);

    const theirs = join(scene.dir, "gdal-calc.tif");
    await run("gdal_calc.py", [
      "--quiet",
      ...["-A", scene.path, "--A_band=3", "-B", scene.path, "--B_band=4"],
      "--calc=(B.astype(numpy.float64) - A) / (B.astype(numpy.float64) + A)",
      "--type=Float32",
      `--outfile=${theirs}`,
    ]);
    const expected = await readWithGdal(theirs);
    const reader = await openRaster(ours);
    const got = await reader.readWindow({ x: 0, y: 0, width: 600, height: 450 });
    const nodata = reader.info.nodata;
    await reader.close();
    expect(nodata).toBeCloseTo(3.402823466e38, -30); // gdal_calc's default Float32 nodata, as ours
    const a = got.bands[0]!;
    const b = expected.bands[0]!;
    let nodataPixels = 0;
    let worst = 0;
    for (let i = 0; i < a.length; i++) {
      // gdal_calc masks nodata as NDV + 0 * result, which stays NaN where the formula is 0/0 (all-zero pixels).
      if (b[i]! > 3e38 || Number.isNaN(b[i]!)) {
        nodataPixels++;
        expect(a[i]).toBe(Math.fround(nodata!));
      } else worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    }
    expect(nodataPixels).toBeGreaterThan(0); // the scene has nodata (0) pixels: the rule is exercised
    expect(worst).toBeLessThanOrEqual(1e-6);
  });
});
