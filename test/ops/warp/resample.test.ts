import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { typedArrayFor, type DataType, type TypedArray } from "../../../worker/io/raster.ts";
import { resamplePoints, type Resampling, type SampleSource } from "../../../worker/ops/warp/resample.ts";
import { hasGdal, makeRasters, readWithGdal, run } from "../../helpers/gdal.ts";

function source(
  dataType: DataType,
  width: number,
  rows: number[][],
  nodata: number | null = null,
  at = { x: 0, y: 0 },
): SampleSource {
  const band = typedArrayFor(dataType, width * rows.length);
  band.set(rows.flat());
  return { block: { width, height: rows.length, dataType, bands: [band] }, ...at, nodata };
}

function sample(
  method: Resampling,
  src: SampleSource,
  points: [number, number][],
  dataType: DataType = "float64",
) {
  const out = typedArrayFor(dataType, points.length);
  resamplePoints(
    method,
    src,
    Float64Array.from(points.map((p) => p[0])),
    Float64Array.from(points.map((p) => p[1])),
    { bands: [out], dataType, nodata: -1 },
  );
  return [...out];
}

const RAMP = [
  [0, 10, 20, 30, 40],
  [100, 110, 120, 130, 140],
  [200, 210, 220, 230, 240],
  [300, 310, 320, 330, 340],
  [400, 410, 420, 430, 440],
];

describe("resamplePoints: hand values", () => {
  it("nearest picks the pixel containing the position; outside the source is nodata", () => {
    const src = source("float64", 5, RAMP);
    expect(
      sample("nearest", src, [
        [0.5, 0.5],
        [2.99, 1.01],
        [4.999, 4.999],
        [5, 0],
        [-0.01, 2],
        [NaN, 1],
      ]),
    ).toEqual([0, 120, 440, -1, -1, -1]);
  });

  it("bilinear interpolates between pixel centres, and a block offset shifts the grid", () => {
    const src = source("float64", 5, RAMP, null, { x: 10, y: 20 });
    expect(
      sample("bilinear", src, [
        [11.5, 21.5],
        [12, 21.5],
        [12, 22],
        [11.75, 21.25],
      ]),
    ).toEqual([110, 115, 165, 110 + 2.5 - 25]);
  });

  it("bilinear at the border renormalises over the taps inside the source", () => {
    const src = source("float64", 5, RAMP);
    // (0.2, 0.5): taps x = -1 (outside) and 0 → only pixel (0, 0)
    expect(
      sample("bilinear", src, [
        [0.2, 0.5],
        [0.2, 1],
      ]),
    ).toEqual([0, 50]);
  });

  it("nodata taps are left out and the weights renormalised; all-nodata gives nodata", () => {
    const src = source(
      "float64",
      2,
      [
        [10, 0],
        [30, 40],
      ],
      0,
    );
    // at the centre of the 4 pixels each has weight 1/4; without (1,0): (10 + 30 + 40) / 3; a position
    // inside a nodata pixel is nodata, but (1.1, 1.1) lies in a valid pixel: its nodata neighbour is left out
    const got = sample("bilinear", src, [
      [1, 1],
      [1.5, 0.5],
      [1.1, 1.1],
    ]);
    expect(got.slice(0, 2)).toEqual([80 / 3, -1]);
    expect(got[2]).toBeCloseTo((0.16 * 10 + 0.24 * 30 + 0.36 * 40) / 0.76, 12);
    expect(
      sample("nearest", src, [
        [1.5, 0.5],
        [0.5, 1.5],
      ]),
    ).toEqual([-1, 30]);
  });

  it("cubic (Keys a = -0.5) reproduces a ramp and overshoots a step like GDAL's", () => {
    const src = source("float64", 5, RAMP);
    expect(
      sample("cubic", src, [
        [2.5, 2.5],
        [2.75, 2.25],
      ])[0],
    ).toBeCloseTo(220, 12);
    expect(sample("cubic", src, [[2.75, 2.25]])[0]).toBeCloseTo(222.5 - 25, 12);
    const step = source(
      "float64",
      6,
      Array.from({ length: 6 }, () => [0, 0, 0, 100, 100, 100]),
    );
    // weights at t = 0.25: -0.0703125, 0.8671875, 0.2265625, -0.0234375
    expect(sample("cubic", step, [[2.75, 3.5]])[0]).toBeCloseTo(100 * (0.2265625 - 0.0234375), 12);
    // the same position with a nodata tap falls back to bilinear
    const holed = source(
      "float64",
      6,
      [[0, 0, 0, 100, 100, 100], ...Array.from({ length: 5 }, () => [0, 0, 0, 100, 100, 100])],
      7,
    );
    holed.block.bands[0]![3 * 6 + 1] = 7;
    expect(sample("cubic", holed, [[2.75, 3.5]])[0]).toBeCloseTo(25, 12);
  });

  it("cubic near the border falls back to bilinear", () => {
    const src = source("float64", 5, RAMP);
    expect(sample("cubic", src, [[1, 1]])).toEqual(sample("bilinear", src, [[1, 1]]));
  });

  it("integer targets round half up and saturate", () => {
    const src = source("uint8", 2, [
      [0, 255],
      [0, 255],
    ]);
    expect(
      sample(
        "bilinear",
        src,
        [
          [1, 1],
          [0.75, 1],
          [1.25, 1],
        ],
        "uint8",
      ),
    ).toEqual([128, 64, 191]);
    const step = source(
      "uint8",
      6,
      Array.from({ length: 6 }, () => [0, 0, 0, 255, 255, 255]),
    );
    // cubic overshoots past 255 next to the step, saturated
    expect(
      sample(
        "cubic",
        step,
        [
          [3.75, 3.5],
          [2.25, 3.5],
        ],
        "uint8",
      ),
    ).toEqual([255, 0]);
  });

  it("samples every band with the same weights", () => {
    const a = Float32Array.from([1, 2, 3, 4]);
    const b = Float32Array.from([10, 20, 30, 40]);
    const outA = new Float32Array(1);
    const outB = new Float32Array(1);
    resamplePoints(
      "bilinear",
      { block: { width: 2, height: 2, dataType: "float32", bands: [a, b] }, x: 0, y: 0, nodata: null },
      Float64Array.of(1),
      Float64Array.of(1),
      { bands: [outA, outB], dataType: "float32", nodata: 0 },
    );
    expect([outA[0], outB[0]]).toEqual([2.5, 25]);
  });
});

describe.skipIf(!hasGdal && !process.env.CI)("resamplePoints vs gdalwarp (same CRS, affine)", () => {
  const dir = mkdtempSync(join(tmpdir(), "resample-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const GT = [500000, 10, 0, 4800000, 0, -10] as const;

  const CASES: { name: string; dataType: DataType; nodata?: number; res: number; te: number[] }[] = [
    {
      name: "uint16, 7 m, offset",
      dataType: "uint16",
      res: 7,
      te: [500013.3, 4799372.1, 500601.3, 4799967.1],
    },
    {
      name: "int16 with nodata, 10 m shifted",
      dataType: "int16",
      nodata: -9999,
      res: 10,
      te: [499983.7, 4799395.3, 500653.7, 4800015.3],
    },
    {
      name: "float32 with nodata, 4 m",
      dataType: "float32",
      nodata: -1,
      res: 4,
      te: [500101, 4799501, 500401, 4799801],
    },
    { name: "uint8, 9.5 m", dataType: "uint8", res: 9.5, te: [500000, 4799392, 500646, 4800000] },
  ];

  for (const c of CASES) {
    for (const method of ["nearest", "bilinear", "cubic"] as const) {
      it(`${c.name}, ${method}`, async () => {
        const src = join(dir, `${c.name.replace(/\W+/g, "_")}.tif`);
        const dst = join(dir, `${c.name.replace(/\W+/g, "_")}_${method}.tif`);
        await makeRasters([
          {
            path: src,
            width: 67,
            height: 61,
            bands: 2,
            dataType: c.dataType,
            epsg: 32631,
            geoTransform: [...GT],
            ...(c.nodata !== undefined ? { nodata: c.nodata } : {}),
            seed: 7,
          },
        ]);
        await run("gdalwarp", [
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
          ...c.te.map(String),
          ...(c.nodata === undefined ? ["-dstnodata", "0"] : []),
          src,
          dst,
        ]);
        const input = await readWithGdal(src);
        const expected = await readWithGdal(dst);
        const n = expected.width * expected.height;
        const xs = new Float64Array(n);
        const ys = new Float64Array(n);
        for (let r = 0; r < expected.height; r++) {
          for (let col = 0; col < expected.width; col++) {
            xs[r * expected.width + col] = (c.te[0]! + (col + 0.5) * c.res - GT[0]) / GT[1];
            ys[r * expected.width + col] = (c.te[3]! - (r + 0.5) * c.res - GT[3]) / GT[5];
          }
        }
        const bands: TypedArray[] = [typedArrayFor(c.dataType, n), typedArrayFor(c.dataType, n)];
        resamplePoints(
          method,
          {
            block: { width: input.width, height: input.height, dataType: c.dataType, bands: input.bands },
            x: 0,
            y: 0,
            nodata: c.nodata ?? null,
          },
          xs,
          ys,
          { bands, dataType: c.dataType, nodata: c.nodata ?? 0 },
        );
        let maxDiff = 0;
        let differing = 0;
        for (let b = 0; b < 2; b++) {
          for (let i = 0; i < n; i++) {
            const d = Math.abs(bands[b]![i]! - expected.bands[b]![i]!);
            if (d > 0) differing++;
            maxDiff = Math.max(maxDiff, d);
          }
        }
        // identical but for rounding ties and float32 summation order
        expect(maxDiff).toBeLessThanOrEqual(c.dataType === "float32" ? 1e-3 : 1);
        expect(differing).toBeLessThanOrEqual(c.dataType === "float32" ? 2 * n : Math.ceil(n * 0.002));
      });
    }
  }
});
