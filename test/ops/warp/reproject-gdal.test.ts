import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRaster } from "../../../worker/io/tiff/reader.ts";
import type { Grid } from "../../../worker/ops/grid.ts";
import { reproject } from "../../../worker/ops/ortho.ts";
import { gridOf } from "../../../worker/run/sources.ts";
import { gdalinfoJson, hasGdal, makeRasters, readWithGdal, run } from "../../helpers/gdal.ts";
import { diffStats } from "./compare.ts";

/** A 240 x 200 UInt16 image in UTM 31N at 10 m, near Toulouse, nodata 0 in its top-left third. */
const GT = [372000, 10, 0, 4830000, 0, -10];

/** Output resolutions finer than the source's 10 m on the ground: gdalwarp widens its kernels when downsampling. */
const TARGETS = [
  { crs: "EPSG:4326", res: 0.00008, te: [1.412, 43.592, 1.446, 43.614] },
  { crs: "EPSG:3857", res: 12, te: [157200, 5402600, 160900, 5405900] },
  { crs: "EPSG:32632", res: 9, te: [-112600, 4854400, -109600, 4857000] },
];

describe.skipIf(!hasGdal && !process.env.CI)("reproject vs gdalwarp -t_srs", () => {
  const dir = mkdtempSync(join(tmpdir(), "reproject-gdal-"));
  const src = join(dir, "utm.tif");
  beforeAll(() =>
    makeRasters([
      {
        path: src,
        width: 240,
        height: 200,
        bands: 1,
        dataType: "uint16",
        epsg: 32631,
        geoTransform: GT,
        nodata: 0,
        seed: 11,
      },
    ]),
  );
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const t of TARGETS) {
    for (const method of ["bilinear", "cubic"] as const) {
      it(`${t.crs}, ${method}`, async () => {
        const out = join(dir, `${t.crs.replace(":", "")}-${method}.tif`);
        await run("gdalwarp", [
          ...[
            "-q",
            "-overwrite",
            "-et",
            "0",
            "-r",
            method,
            "-t_srs",
            t.crs,
            "-tr",
            String(t.res),
            String(t.res),
          ],
          ...["-te", ...t.te.map(String), src, out],
        ]);
        const r = await openRaster(src);
        const window = { x: 0, y: 0, width: r.info.width, height: r.info.height };
        const image = { block: await r.readWindow(window), window, grid: gridOf(r.info) };
        await r.close();
        const p = reproject.params.parse({
          crs: t.crs,
          resolution: t.res,
          bounds: t.te,
          resampling: method,
          maxError: 0.001,
        });
        const grid = reproject.outputGrid(p, new Map([["image", image.grid]])) as Grid;
        const info = await gdalinfoJson(out);
        expect([grid.width, grid.height]).toEqual(info.size);
        info.geoTransform!.forEach((v, i) => expect(grid.geoTransform![i]).toBeCloseTo(v, 9));
        const ours = reproject.kernel(p, new Map([["image", image]]), {
          window: { x: 0, y: 0, width: grid.width, height: grid.height },
          grid,
        });
        const theirs = await readWithGdal(out);
        const s = diffStats(ours.bands[0]!, theirs.bands[0]!, grid.width, grid.height, 0);
        expect(s.compared).toBeGreaterThan(0.3 * grid.width * grid.height);
        expect(s.mean).toBeLessThanOrEqual(0.5);
        expect(s.max).toBeLessThanOrEqual(2);
        expect(s.validityMismatch).toBeLessThan(2 * (grid.width + grid.height));
      });
    }
  }
});
