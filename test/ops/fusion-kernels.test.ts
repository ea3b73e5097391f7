/** The mosaic and pansharpen kernels on hand-sized rasters, values worked out by hand. */
import { describe, expect, it } from "vitest";
import type { Block, DataType, GeoTransform, TypedArray } from "../../worker/io/raster.ts";
import type { Grid } from "../../worker/ops/grid.ts";
import type { KernelInput } from "../../worker/ops/kernel.ts";
import { mosaic } from "../../worker/ops/mosaic.ts";
import { pansharpen } from "../../worker/ops/pansharpen.ts";

const UTM = { epsg: 32631, wkt: null };

function raster(
  dataType: DataType,
  width: number,
  height: number,
  geoTransform: GeoTransform,
  nodata: number | null,
  bands: TypedArray[],
): KernelInput {
  const grid: Grid = { width, height, bands: bands.length, dataType, nodata, crs: UTM, geoTransform };
  const block: Block = { width, height, dataType, bands };
  return { block, window: { x: 0, y: 0, width, height }, grid };
}

describe("mosaic kernel", () => {
  // A covers output pixels 0..3, B (two pixels to the east) 2..5; 0 is nodata in both.
  const a = raster("uint8", 4, 1, [0, 1, 0, 1, 0, -1], 0, [Uint8Array.of(10, 0, 31, 40)]);
  const b = raster("uint8", 4, 1, [2, 1, 0, 1, 0, -1], 0, [Uint8Array.of(50, 60, 0, 70)]);
  const cases: [string, number[]][] = [
    ["first", [10, 0, 31, 40, 0, 70]],
    ["last", [10, 0, 50, 60, 0, 70]],
    ["max", [10, 0, 50, 60, 0, 70]],
    ["mean", [10, 0, 41, 50, 0, 70]], // (31 + 50) / 2 = 40.5 rounds half up
  ];
  for (const [method, expected] of cases) {
    it(`${method}: valid samples only, in input order`, () => {
      const p = mosaic.params.parse({ method });
      const grids = new Map([
        ["a", a.grid],
        ["b", b.grid],
      ]);
      const grid = mosaic.outputGrid(p, grids) as Grid;
      expect([grid.width, grid.height, grid.nodata]).toEqual([6, 1, 0]);
      const window = { x: 0, y: 0, width: 6, height: 1 };
      const out = mosaic.kernel(
        p,
        new Map([
          ["a", a],
          ["b", b],
        ]),
        { window, grid },
      );
      expect([...out.bands[0]!]).toEqual(expected);
    });
  }
});

describe("pansharpen kernel", () => {
  // 2:1 — one MS pixel under 2 x 2 PAN pixels; nearest keeps the MS value as is.
  const ms = raster(
    "uint16",
    1,
    1,
    [0, 2, 0, 2, 0, -2],
    null,
    [100, 200, 300, 400].map((v) => Uint16Array.of(v)),
  );
  const run = (panValues: number[], params: Record<string, unknown>) => {
    const pan = raster("uint16", 2, 2, [0, 1, 0, 2, 0, -1], null, [Uint16Array.from(panValues)]);
    const p = pansharpen.params.parse({ resampling: "nearest", ...params });
    const grid = pansharpen.outputGrid(
      p,
      new Map([
        ["pan", pan.grid],
        ["ms", ms.grid],
      ]),
    ) as Grid;
    const window = { x: 0, y: 0, width: 2, height: 2 };
    const out = pansharpen.kernel(
      p,
      new Map([
        ["pan", pan],
        ["ms", ms],
      ]),
      { window, grid },
    );
    return out.bands.map((band) => [...band]);
  };

  it("scales every band by pan / Σ w_i ms_i (weights 1/n by default)", () => {
    // pseudo-pan = 250: factors 1, 2, 0 and 0.5
    expect(run([250, 500, 0, 125], {})).toEqual([
      [100, 200, 0, 50],
      [200, 400, 0, 100],
      [300, 600, 0, 150],
      [400, 800, 0, 200],
    ]);
  });

  it("uses the given weights for the pseudo-pan", () => {
    // pseudo-pan = 0.5·100 + 0.5·200 = 150: factor 300 / 150 = 2
    expect(run([300, 300, 300, 300], { weights: [0.5, 0.5, 0, 0] }).map((b) => b[0])).toEqual([
      200, 400, 600, 800,
    ]);
  });

  it("with nodata: nodata pan pixels are nodata, results on nodata move off it", () => {
    // pan 1: factor 0.004 -> 0.4, 0.8, 1.2, 1.6 -> 0 (moved to 1), 1, 1, 2
    expect(run([0, 1, 250, 250], { nodata: 0 }).map((b) => b.slice(0, 2))).toEqual([
      [0, 1],
      [0, 1],
      [0, 1],
      [0, 2],
    ]);
  });
});

describe("nodata that the output type cannot hold", () => {
  const u8 = raster("uint8", 2, 2, [0, 1, 0, 2, 0, -1], null, [new Uint8Array(4)]);
  const ms = raster("uint8", 1, 1, [0, 2, 0, 2, 0, -2], null, [new Uint8Array(1)]);
  it("is refused by mosaic and pansharpen at params.nodata", () => {
    const m = mosaic.outputGrid(mosaic.params.parse({ nodata: 300 }), new Map([["a", u8.grid]]));
    expect(m).toMatchObject({ code: "nodata-range", path: "params.nodata" });
    const p = pansharpen.params.parse({ nodata: -1 });
    const ps = pansharpen.outputGrid(
      p,
      new Map([
        ["pan", u8.grid],
        ["ms", ms.grid],
      ]),
    );
    expect(ps).toMatchObject({ code: "nodata-range", path: "params.nodata" });
  });
});
