/**
 * pansharpen through the local engine against gdal_pansharpen.py (same weights, cubic and bilinear) on a
 * generated 4:1 pair: PAN 256² UInt16 at 2.5 m, MS 64² x 4 bands at 10 m over the same extent.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runChain } from "../../operator/local/executor.ts";
import { validateSpec } from "../../operator/spec/validate.ts";
import { hasGdal, python, readWithGdal, run, type GdalPixels } from "../helpers/gdal.ts";

let dir: string;
const file = (name: string) => join(dir, name);
const WEIGHTS = [0.1, 0.2, 0.3, 0.4];

/** Smooth 12-bit-like fields with noise; with `nodata`, a corner block of each image is nodata. */
const MAKE = `
import sys
import numpy as np
from osgeo import gdal, osr
gdal.UseExceptions()
srs = osr.SpatialReference(); srs.ImportFromEPSG(32631)
nodata = None if sys.argv[2] == 'none' else int(sys.argv[2])
def make(path, w, h, n, res, seed, corner):
    ds = gdal.GetDriverByName('GTiff').Create(path, w, h, n, gdal.GDT_UInt16)
    ds.SetGeoTransform([500000, res, 0, 4000000, 0, -res]); ds.SetProjection(srs.ExportToWkt())
    rng = np.random.default_rng(seed); y, x = np.mgrid[0:h, 0:w] * res
    for b in range(n):
        a = 1500 + 700 * np.sin(x / 31.0 + b) + 500 * np.cos(y / 17.0 - b) + rng.random((h, w)) * 400
        a = a.astype(np.uint16)
        if nodata is not None:
            a[:corner, :corner] = nodata
            ds.GetRasterBand(b + 1).SetNoDataValue(nodata)
        ds.GetRasterBand(b + 1).WriteArray(a)
make(sys.argv[1] + '/pan.tif', 256, 256, 1, 2.5, 1, 40)
make(sys.argv[1] + '/ms.tif', 64, 64, 4, 10, 2, 6)
`;

async function ours(sub: string, resampling: string): Promise<GdalPixels> {
  const checked = validateSpec({
    sources: {
      pan: { uri: pathToFileURL(file(`${sub}/pan.tif`)).href },
      ms: { uri: pathToFileURL(file(`${sub}/ms.tif`)).href },
    },
    steps: [
      {
        name: "sharp",
        op: "pansharpen",
        inputs: { pan: "pan", ms: "ms" },
        params: { weights: WEIGHTS, resampling },
      },
    ],
    outputs: [{ step: "sharp", uri: pathToFileURL(file(`${sub}/ours-${resampling}.tif`)).href }],
    tiling: { tileSize: 64 },
  });
  if (!checked.ok) throw new Error(JSON.stringify(checked.issues));
  await runChain(checked.value, { workers: 2, workdir: dir });
  return readWithGdal(file(`${sub}/ours-${resampling}.tif`));
}

async function theirs(sub: string, resampling: string): Promise<GdalPixels> {
  const out = file(`${sub}/gdal-${resampling}.tif`);
  const w = WEIGHTS.flatMap((v) => ["-w", String(v)]);
  await run("gdal_pansharpen.py", [
    "-q",
    file(`${sub}/pan.tif`),
    file(`${sub}/ms.tif`),
    out,
    "-r",
    resampling,
    ...w,
  ]);
  return readWithGdal(out);
}

/**
 * Differences in the interior (more than `margin` PAN pixels from the image edge) and at the edge, and
 * pixels that are nodata (0) in one result only.
 */
function compare(a: GdalPixels, b: GdalPixels, margin: number) {
  const stats = {
    interior: { differing: 0, worst: 0, values: 0 },
    edge: { differing: 0, worst: 0 },
    maskMismatch: 0,
  };
  a.bands.forEach((band, k) => {
    for (let i = 0; i < band.length; i++) {
      const x = i % a.width;
      const y = Math.floor(i / a.width);
      const inside = x >= margin && y >= margin && x < a.width - margin && y < a.height - margin;
      const s = inside ? stats.interior : stats.edge;
      const theirs = b.bands[k]![i]!;
      const d = Math.abs(band[i]! - theirs);
      if (d !== 0) s.differing++;
      s.worst = Math.max(s.worst, d);
      if (inside) stats.interior.values++;
      if ((band[i] === 0) !== (theirs === 0)) stats.maskMismatch++;
    }
  });
  return stats;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "imagechain-pansharpen-"));
  if (!hasGdal && !process.env.CI) return;
  for (const [sub, nodata] of [
    ["plain", "none"],
    ["nodata", "0"],
  ]) {
    await run("mkdir", ["-p", file(sub!)]);
    await python(MAKE, [file(sub!), nodata!]);
  }
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe.skipIf(!hasGdal && !process.env.CI)("pansharpen against gdal_pansharpen.py", () => {
  for (const sub of ["plain", "nodata"]) {
    it(`bilinear, ${sub}: identical everywhere, nodata included`, async () => {
      const [a, b] = [await ours(sub, "bilinear"), await theirs(sub, "bilinear")];
      expect(a.bands.length).toBe(4);
      const stats = compare(a, b, 0);
      expect(stats.edge).toEqual({ differing: 0, worst: 0 });
      expect(stats.maskMismatch).toBe(0);
      if (sub === "nodata") expect(a.bands[0]![0]).toBe(0); // the nodata corner is there
    });

    // GDAL upsamples the MS with RasterIO's convolution, the warp sampler with gdalwarp's cubic: they agree
    // except where the cubic taps leave the image (1.5 MS pixels = 6 PAN pixels at 4:1; gdalwarp falls back
    // to bilinear, RasterIO truncates and renormalises) and at exact .5 ties of the resampled MS (GDAL sums in
    // float), which the Brovey factor (pan / pseudo-pan, about 1-2.5 here) turns into 1-2 DN.
    it(`cubic, ${sub}: identical more than 6 PAN pixels from the image edge but for rounding ties`, async () => {
      const [a, b] = [await ours(sub, "cubic"), await theirs(sub, "cubic")];
      const stats = compare(a, b, 6);
      expect(stats.interior.worst).toBeLessThanOrEqual(2);
      expect(stats.interior.differing / stats.interior.values).toBeLessThan(0.001); // measured: 26 of 238,144
      expect(stats.maskMismatch).toBe(0);
    });
  }
});
