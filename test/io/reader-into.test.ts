/**
 * Reading into caller-owned arrays (`readWindow(…, { into })`), as `imagechain cog` recycles them:
 * stale contents never leak, sparse tiles included.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRaster } from "../../worker/io/tiff/reader.ts";
import { hasGdal, python } from "../helpers/gdal.ts";

/** 512x256, tiles 256: tile 0 never written (sparse: byte count 0), tile 1 holds x + y + band. */
const SPARSE = `
import sys
import numpy as np
from osgeo import gdal
gdal.UseExceptions()
path, nodata = sys.argv[1], sys.argv[2]
opts = ['TILED=YES', 'BLOCKXSIZE=256', 'BLOCKYSIZE=256', 'SPARSE_OK=TRUE', 'COMPRESS=DEFLATE']
ds = gdal.GetDriverByName('GTiff').Create(path, 512, 256, 2, gdal.GDT_Int16, opts)
for b in range(2):
    band = ds.GetRasterBand(b + 1)
    if nodata != 'none': band.SetNoDataValue(float(nodata))
    y, x = np.mgrid[0:256, 256:512]
    band.WriteArray((x + y + b).astype(np.int16), 256, 0)
ds = None
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reader-into-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe.skipIf(!hasGdal && !process.env.CI)("readWindow into recycled arrays", () => {
  for (const [nodata, fill] of [
    ["none", 0],
    ["-7", -7],
  ] as const) {
    it(`overwrites stale pixels; sparse tiles read as ${fill} (nodata ${nodata})`, async () => {
      const path = join(dir, `sparse-${nodata}.tif`);
      await python(SPARSE, [path, nodata]);
      const reader = await openRaster(path, { decodedCacheBytes: () => 0 });
      try {
        const window = { x: 200, y: 10, width: 100, height: 20 };
        const into = [new Int16Array(2000).fill(12345), new Int16Array(2000).fill(12345)];
        const block = await reader.readWindow(window, { into });
        expect(block.bands[0]).toBe(into[0]);
        expect(block.bands[1]).toBe(into[1]);
        for (let b = 0; b < 2; b++) {
          for (const [x, y] of [
            [0, 0],
            [55, 19],
            [56, 0],
            [99, 19],
          ] as const) {
            const gx = window.x + x;
            const gy = window.y + y;
            expect(into[b]![y * window.width + x], `band ${b + 1} (${gx}, ${gy})`).toBe(
              gx < 256 ? fill : gx + gy + b,
            );
          }
        }
      } finally {
        await reader.close();
      }
    });
  }
});
