/** ortho through `imagechain run` (planner footprints, tiles, workers): against gdalwarp, and across worker counts. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { imagechain } from "../../helpers/cli.ts";
import { gdalinfoJson, hasGdal, PYTHON, readWithGdal, run } from "../../helpers/gdal.ts";
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

  /** Per band of the convolve output: numpy's 2/98 % percentiles and its stretch of every pixel (the oracle). */
  const NUMPY_STRETCH = `
import sys, json
import numpy as np
from osgeo import gdal
ds = gdal.Open(sys.argv[1])
b = ds.GetRasterBand(1)
raw = b.ReadAsArray()
a = raw.astype(np.float64)
nd = b.GetNoDataValue()
valid = ~np.isnan(a) if nd is None else ~np.isnan(a) & (raw != raw.dtype.type(nd))
lo, hi = np.percentile(a[valid], [2, 98])
x = np.floor((a - lo) * 255 / (hi - lo) + 0.5).clip(0, 255)
x[~valid] = 0
sys.stdout.buffer.write(x.astype(np.uint8).tobytes())
sys.stderr.write(json.dumps({"valid": valid.ravel().astype(np.uint8).tolist()}))
`;

  it("ortho (default grid) → bandmath → convolve → stretch: identical bytes with 1, 2 and 3 workers", async () => {
    const outputs: Buffer[] = [];
    for (const workers of [1, 2, 3]) {
      const chain = {
        sources: sources(),
        steps: [
          {
            name: "ortho",
            op: "ortho",
            inputs: { image: "scene", dem: "dem" },
            params: { crs: "EPSG:32631", resolution: 4, resampling: "cubic", nodata: 0 },
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
          { name: "quicklook", op: "stretch", inputs: { im: "smooth" }, params: { low: 2, high: 98 } },
        ],
        outputs: [
          { step: "smooth", uri: pathToFileURL(join(dir, `smooth-${workers}.tif`)).href },
          { step: "quicklook", uri: pathToFileURL(join(dir, `quicklook-${workers}.tif`)).href },
        ],
        tiling: { tileSize: 64 },
      };
      const r = await imagechain([
        "run",
        await writeChain(dir, `chain-${workers}.yaml`, chain),
        "--workers",
        String(workers),
      ]);
      expect(r.code, r.stderr).toBe(0);
      outputs.push(readFileSync(join(dir, `quicklook-${workers}.tif`)));
      if (workers > 1) {
        const smooth = readFileSync(join(dir, `smooth-${workers}.tif`));
        expect(smooth.equals(readFileSync(join(dir, "smooth-1.tif")))).toBe(true);
      }
    }
    expect(outputs[1]!.equals(outputs[0]!)).toBe(true);
    expect(outputs[2]!.equals(outputs[0]!)).toBe(true);

    const info = await gdalinfoJson(join(dir, "quicklook-1.tif"));
    // the image's ground footprint (≈ 1.3 km at the model's mean height) snapped to 4 m
    expect(info.geoTransform![1]).toBe(4);
    expect(info.geoTransform![0]! % 4).toBe(0);
    expect(info.size[0]).toBeGreaterThan(300);
    expect(info.size[0]).toBeLessThan(420);

    const got = await readWithGdal(join(dir, "quicklook-1.tif"));
    expect(got.dataType).toBe("uint8");
    const { stdout: expected, stderr } = await run(PYTHON, ["-c", NUMPY_STRETCH, join(dir, "smooth-1.tif")]);
    const valid = (JSON.parse(stderr) as { valid: number[] }).valid;
    const q = got.bands[0]!;
    let nValid = 0;
    let low = 0;
    let high = 0;
    let worst = 0;
    let differing = 0;
    for (let i = 0; i < q.length; i++) {
      const d = Math.abs(q[i]! - expected[i]!);
      worst = Math.max(worst, d);
      if (d !== 0) differing++;
      if (valid[i] !== 1) continue;
      nValid++;
      if (q[i] === 0) low++;
      if (q[i] === 255) high++;
    }
    // a real image inside a nodata frame (the scene's rotated footprint)
    expect(nValid).toBeGreaterThan(0.5 * q.length);
    expect(nValid).toBeLessThan(q.length);
    // float input: the histogram's documented bound, one DN, on a few pixels
    expect(worst).toBeLessThanOrEqual(1);
    expect(differing / q.length).toBeLessThan(0.005);
    // 2 % of the valid pixels lie below the low percentile and 2 % above the high one, plus half a DN's bin
    for (const share of [low / nValid, high / nValid]) {
      expect(share).toBeGreaterThan(0.019);
      expect(share).toBeLessThan(0.03);
    }
  });
});
