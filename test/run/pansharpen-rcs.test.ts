/**
 * pansharpen method rcs through the local engine (PAN read with a halo across 64-px tiles) against numpy's
 * rendering of OTB's RCS: out = ms · pan / mean7x7(pan), PAN's edge pixels repeated beyond the raster, on a
 * generated 4:1 pair (PAN 256² UInt16 at 2.5 m, MS 64² x 4 bands at 10 m, nearest: MS repeated 4 x 4).
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runChain } from "../../operator/local/executor.ts";
import { validateSpec } from "../../operator/spec/validate.ts";
import { hasGdal, python, readWithGdal } from "../helpers/gdal.ts";

let dir: string;
const file = (name: string) => join(dir, name);

const MAKE = `
import sys
import numpy as np
from osgeo import gdal, osr
gdal.UseExceptions()
srs = osr.SpatialReference(); srs.ImportFromEPSG(32631)
def make(path, w, h, n, res, seed):
    ds = gdal.GetDriverByName('GTiff').Create(path, w, h, n, gdal.GDT_UInt16)
    ds.SetGeoTransform([500000, res, 0, 4000000, 0, -res]); ds.SetProjection(srs.ExportToWkt())
    rng = np.random.default_rng(seed); y, x = np.mgrid[0:h, 0:w] * res
    for b in range(n):
        a = 1500 + 700 * np.sin(x / 31.0 + b) + 500 * np.cos(y / 17.0 - b) + rng.random((h, w)) * 400
        ds.GetRasterBand(b + 1).WriteArray(a.astype(np.uint16))
make(sys.argv[1] + '/pan.tif', 256, 256, 1, 2.5, 1)
make(sys.argv[1] + '/ms.tif', 64, 64, 4, 10, 2)
`;

/** OTB's RCS in numpy (float64 smoothing; rounded half up as the op documents, where OTB casts). */
const RCS = `
import sys
import numpy as np
from osgeo import gdal
r = int(sys.argv[2])
pan = gdal.Open(sys.argv[1] + '/pan.tif').ReadAsArray().astype(np.float64)
ms = gdal.Open(sys.argv[1] + '/ms.tif').ReadAsArray().astype(np.float64)
up = ms.repeat(4, axis=1).repeat(4, axis=2)
padded = np.pad(pan, r, mode='edge')
h, w = pan.shape
smooth = np.zeros_like(pan)
for dy in range(2 * r + 1):
    for dx in range(2 * r + 1):
        smooth += padded[dy:dy + h, dx:dx + w]
smooth /= (2 * r + 1) ** 2
scale = np.where(np.abs(smooth) > 1e-10, pan / np.where(smooth == 0, 1, smooth), 1.0)
out = np.floor(up * scale + 0.5).clip(0, 65535).astype(np.uint16)
sys.stdout.buffer.write(out.tobytes())
`;

async function ours(name: string, workers: number, radius?: number) {
  const checked = validateSpec({
    sources: {
      pan: { uri: pathToFileURL(file("pan.tif")).href },
      ms: { uri: pathToFileURL(file("ms.tif")).href },
    },
    steps: [
      {
        name: "sharp",
        op: "pansharpen",
        inputs: { pan: "pan", ms: "ms" },
        params: { method: "rcs", resampling: "nearest", ...(radius ? { radius } : {}) },
      },
    ],
    outputs: [{ step: "sharp", uri: pathToFileURL(file(name)).href }],
    tiling: { tileSize: 64 },
  });
  if (!checked.ok) throw new Error(JSON.stringify(checked.issues));
  await runChain(checked.value, { workers, workdir: dir });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "imagechain-rcs-"));
  if (!hasGdal && !process.env.CI) return;
  await python(MAKE, [dir]);
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe.skipIf(!hasGdal && !process.env.CI)("pansharpen rcs through the engine", () => {
  for (const radius of [3, 5]) {
    it(`radius ${radius}: numpy's RCS, across tile borders; same bytes with 1 and 2 workers`, async () => {
      await ours(`rcs-${radius}-w1.tif`, 1, radius === 3 ? undefined : radius);
      await ours(`rcs-${radius}-w2.tif`, 2, radius === 3 ? undefined : radius);
      const one = await readFile(file(`rcs-${radius}-w1.tif`));
      expect(one.equals(await readFile(file(`rcs-${radius}-w2.tif`)))).toBe(true);
      const got = await readWithGdal(file(`rcs-${radius}-w1.tif`));
      expect(got.bands.length).toBe(4);
      const expected = await python(RCS, [dir, String(radius)]);
      const all = new Uint16Array(expected.buffer, expected.byteOffset, expected.byteLength / 2);
      let differing = 0;
      let worst = 0;
      let changed = 0;
      got.bands.forEach((band, b) => {
        for (let i = 0; i < band.length; i++) {
          const d = Math.abs(band[i]! - all[b * band.length + i]!);
          if (d !== 0) differing++;
          worst = Math.max(worst, d);
        }
      });
      // the sharpening did something: PAN detail moves most pixels off the repeated MS values
      const msRepeated = (await readWithGdal(file("ms.tif"))).bands[0]!;
      const b0 = got.bands[0]!;
      for (let i = 0; i < b0.length; i++) {
        const x = i % 256;
        const y = (i - x) / 256;
        if (b0[i] !== msRepeated[(y >> 2) * 64 + (x >> 2)]) changed++;
      }
      expect(changed / b0.length).toBeGreaterThan(0.9);
      expect({ differing, worst }).toEqual({ differing: 0, worst: 0 });
    });
  }
});
