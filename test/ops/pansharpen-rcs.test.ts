/** pansharpen method rcs (OTB's ratio to the box-smoothed PAN) on hand-sized rasters, values worked out by hand. */
import { describe, expect, it } from "vitest";
import type { Block, GeoTransform, Window } from "../../worker/io/raster.ts";
import type { Grid } from "../../worker/ops/grid.ts";
import type { KernelInput } from "../../worker/ops/kernel.ts";
import { pansharpen } from "../../worker/ops/pansharpen.ts";

const UTM = { epsg: 32631, wkt: null };

function input(width: number, height: number, gt: GeoTransform, nodata: number | null, bands: Uint16Array[]) {
  const grid: Grid = {
    width,
    height,
    bands: bands.length,
    dataType: "uint16",
    nodata,
    crs: UTM,
    geoTransform: gt,
  };
  const block: Block = { width, height, dataType: "uint16", bands };
  return { grid, block };
}

// PAN 3 x 3 at 1 m; one MS pixel (3 m) over all of it with bands 100 and 200 (nearest: the same everywhere).
const PAN = [10, 20, 30, 40, 50, 60, 70, 80, 90];
const ms = input(1, 1, [0, 3, 0, 3, 0, -3], null, [Uint16Array.of(100), Uint16Array.of(200)]);

/** The output `window`, with the PAN block cut to the window grown by `radius` (the halo footprint), clipped. */
function run(
  panValues: number[],
  window: Window,
  params: Record<string, unknown>,
  nodata: number | null = null,
) {
  const pan = input(3, 3, [0, 1, 0, 3, 0, -1], nodata, [Uint16Array.from(panValues)]);
  const p = pansharpen.params.parse({ method: "rcs", radius: 1, resampling: "nearest", ...params });
  const grid = pansharpen.outputGrid(
    p,
    new Map([
      ["pan", pan.grid],
      ["ms", ms.grid],
    ]),
  ) as Grid;
  const x0 = Math.max(0, window.x - p.radius);
  const y0 = Math.max(0, window.y - p.radius);
  const x1 = Math.min(3, window.x + window.width + p.radius);
  const y1 = Math.min(3, window.y + window.height + p.radius);
  const cut = new Uint16Array((x1 - x0) * (y1 - y0));
  for (let y = y0; y < y1; y++)
    for (let x = x0; x < x1; x++) cut[(y - y0) * (x1 - x0) + x - x0] = panValues[y * 3 + x]!;
  const panInput: KernelInput = {
    grid: pan.grid,
    window: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 },
    block: { width: x1 - x0, height: y1 - y0, dataType: "uint16", bands: [cut] },
  };
  const msInput: KernelInput = { ...ms, window: { x: 0, y: 0, width: 1, height: 1 } };
  const out = pansharpen.kernel(
    p,
    new Map([
      ["pan", panInput],
      ["ms", msInput],
    ]),
    { window, grid },
  );
  return out.bands.map((band) => [...band]);
}

describe("pansharpen rcs", () => {
  it("scales by pan / mean of the 3 x 3 box, edge pixels repeated beyond the raster", () => {
    // (0,0): box rows 0,0,1 x cols 0,0,1 = 2·(10+10+20) + (40+40+50) = 210, mean 23.33: 10/23.33 = 0.428571
    //   -> 42.86, 85.71; (1,0): 2·60 + 150 = 270, mean 30: 20/30 -> 66.67, 133.33; (1,1): mean 50: scale 1;
    // (2,2): (50+60+60) + 2·(80+90+90) = 690, mean 76.67: 90/76.67 = 1.173913 -> 117.39, 234.78
    const all = run(PAN, { x: 0, y: 0, width: 3, height: 3 }, {});
    expect([all[0]![0], all[0]![1], all[0]![4], all[0]![8]]).toEqual([43, 67, 100, 117]);
    expect([all[1]![0], all[1]![1], all[1]![4], all[1]![8]]).toEqual([86, 133, 200, 235]);
  });

  it("gives a tile the same values from its halo block as the whole raster does", () => {
    const whole = run(PAN, { x: 0, y: 0, width: 3, height: 3 }, {});
    const corner = run(PAN, { x: 2, y: 2, width: 1, height: 1 }, {});
    expect(corner).toEqual([[whole[0]![8]], [whole[1]![8]]]);
    const middle = run(PAN, { x: 1, y: 0, width: 2, height: 2 }, {});
    expect(middle[0]).toEqual([whole[0]![1], whole[0]![2], whole[0]![4], whole[0]![5]]);
  });

  it("a wider radius smooths more: radius 2 on 3 x 3 reaches the far edge", () => {
    // (1,1) with radius 2: cols 0,0,1,2,2 and rows 0,0,1,2,2: the column weights 2,1,2 on each row,
    // the row weights 2,1,2: Σ = 2·(2·10+20+2·30) + (2·40+50+2·60) + 2·(2·70+80+2·90) = 200+250+800 = 1250,
    // mean 50: scale 1
    expect(run(PAN, { x: 1, y: 1, width: 1, height: 1 }, { radius: 2 })).toEqual([[100], [200]]);
  });

  it("keeps the MS values where the smoothed PAN is zero (OTB: scale 1 under 1e-10)", () => {
    expect(run(new Array<number>(9).fill(0), { x: 0, y: 0, width: 3, height: 1 }, {})).toEqual([
      [100, 100, 100],
      [200, 200, 200],
    ]);
  });

  it("with nodata: a nodata PAN pixel is nodata and stays out of its neighbours' means", () => {
    // without a nodata value the 0 counts: (450 - 10) / 9 = 48.89, 50 / 48.89 -> 102.3
    expect(run([0, ...PAN.slice(1)], { x: 1, y: 1, width: 1, height: 1 }, {})[0]).toEqual([102]);
    // (1,1) without the 0 at (0,0): (450 - 10) / 8 = 55, 50/55 = 0.90909 -> 90.9, 181.8
    // the op's nodata (params.nodata, else the MS input's) also marks PAN pixels, as for brovey
    const out = run([0, ...PAN.slice(1)], { x: 0, y: 0, width: 3, height: 3 }, { nodata: 0 });
    expect([out[0]![0], out[0]![4]]).toEqual([0, 91]);
    expect([out[1]![0], out[1]![4]]).toEqual([0, 182]);
  });

  it("reads PAN with a halo of its radius, and refuses weights", () => {
    const p = pansharpen.params.parse({ method: "rcs" });
    expect(p.radius).toBe(3);
    const grid = ms.grid;
    expect(pansharpen.footprint(p, "pan", grid, grid)).toEqual({ kind: "halo", radius: 3 });
    expect(pansharpen.footprint(pansharpen.params.parse({}), "pan", grid, grid)).toEqual({
      kind: "pointwise",
    });
    const issues = pansharpen.checkParams!(pansharpen.params.parse({ method: "rcs", weights: [1, 1] }), []);
    expect(issues).toMatchObject([{ code: "bad-params", path: "params.weights" }]);
  });
});
