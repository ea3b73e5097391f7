import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { typedArrayFor, type DataType } from "../../../worker/io/raster.ts";
import { resampleScaled, scaledMargin, tileScale } from "../../../worker/ops/warp/downsample.ts";
import { hasGdal, makeRasters, readWithGdal, run } from "../../helpers/gdal.ts";
import { diffStats } from "./compare.ts";

describe("downsampling kernels", () => {
  it("tileScale: output pixels per source pixel, null down to 0.95 on both axes", () => {
    const affine =
      (a: number, b: number, c: number, d: number) => (x: number, y: number, out: Float64Array) => {
        out[0] = a * x + b * y;
        out[1] = c * x + d * y;
      };
    expect(tileScale(affine(2.5, 0, 0, 2.5), 10, 10)).toEqual({ x: 0.4, y: 0.4 });
    expect(tileScale(affine(1.02, 0, 0, 1.02), 10, 10)).toBeNull();
    expect(tileScale(affine(0.5, 0, 0, 3), 10, 10)).toEqual({ x: 1, y: 1 / 3 });
    expect(scaledMargin("bilinear", { x: 0.4, y: 1 })).toBe(4);
    expect(scaledMargin("cubic", null)).toBe(2);
  });

  it("a stretched triangle averages every pixel under a 2x coarser output pixel with weights 1/4, 3/4, 3/4, 1/4", () => {
    const a = Float64Array.from({ length: 64 }, (_, i) => i % 8);
    const out = new Float64Array(1);
    // output pixel centre at source (4, 4): taps 2..5 at distances 1.5, 0.5, 0.5, 1.5 → weights 0.25, 0.75, 0.75, 0.25
    resampleScaled(
      "bilinear",
      { x: 0.5, y: 0.5 },
      { block: { width: 8, height: 8, dataType: "float64", bands: [a] }, x: 0, y: 0, nodata: null },
      Float64Array.of(4),
      Float64Array.of(4),
      { bands: [out], dataType: "float64", nodata: -1 },
    );
    expect(out[0]).toBeCloseTo((0.25 * 2 + 0.75 * 3 + 0.75 * 4 + 0.25 * 5) / 2, 12);
  });
});

describe.skipIf(!hasGdal && !process.env.CI)("downsampling vs gdalwarp (same XSCALE/YSCALE)", () => {
  const dir = mkdtempSync(join(tmpdir(), "downsample-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const GT = [500000, 10, 0, 4800000, 0, -10] as const;
  const CASES: { dataType: DataType; nodata?: number; res: number }[] = [
    { dataType: "uint16", res: 25 },
    { dataType: "int16", nodata: -9999, res: 14 },
    { dataType: "float32", res: 40 },
  ];
  for (const c of CASES) {
    for (const method of ["bilinear", "cubic"] as const) {
      it(`${c.dataType} at ${c.res} m (scale ${10 / c.res}), ${method}`, async () => {
        const src = join(dir, `${c.dataType}.tif`);
        const dst = join(dir, `${c.dataType}-${c.res}-${method}.tif`);
        const te = [500000, 4800000 - 120 * 10, 500000 + 150 * 10, 4800000];
        await makeRasters([
          {
            path: src,
            width: 150,
            height: 120,
            bands: 1,
            dataType: c.dataType,
            epsg: 32631,
            geoTransform: [...GT],
            ...(c.nodata !== undefined ? { nodata: c.nodata } : {}),
          },
        ]);
        const s = String(10 / c.res);
        await run("gdalwarp", [
          ...[
            "-q",
            "-overwrite",
            "-et",
            "0",
            "-r",
            method,
            "-tr",
            String(c.res),
            String(c.res),
            "-te",
            ...te.map(String),
          ],
          ...[
            "-wo",
            `XSCALE=${s}`,
            "-wo",
            `YSCALE=${s}`,
            ...(c.nodata === undefined ? ["-dstnodata", "0"] : []),
            src,
            dst,
          ],
        ]);
        const input = await readWithGdal(src);
        const expected = await readWithGdal(dst);
        const n = expected.width * expected.height;
        const xs = new Float64Array(n);
        const ys = new Float64Array(n);
        for (let r = 0; r < expected.height; r++) {
          for (let col = 0; col < expected.width; col++) {
            xs[r * expected.width + col] = ((col + 0.5) * c.res) / 10;
            ys[r * expected.width + col] = ((r + 0.5) * c.res) / 10;
          }
        }
        const out = typedArrayFor(c.dataType, n);
        resampleScaled(
          method,
          { x: 10 / c.res, y: 10 / c.res },
          {
            block: { width: 150, height: 120, dataType: c.dataType, bands: input.bands },
            x: 0,
            y: 0,
            nodata: c.nodata ?? null,
          },
          xs,
          ys,
          { bands: [out], dataType: c.dataType, nodata: c.nodata ?? 0 },
        );
        const d = diffStats(out, expected.bands[0]!, expected.width, expected.height, c.nodata ?? 0, 0);
        expect(d.validityMismatch).toBe(0);
        expect(d.max).toBeLessThanOrEqual(c.dataType === "float32" ? 0.01 : 1);
      });
    }
  }
});
