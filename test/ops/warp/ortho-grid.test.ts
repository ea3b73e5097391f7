import { describe, expect, it } from "vitest";
import type { Grid } from "../../../worker/ops/grid.ts";
import { ortho, reproject } from "../../../worker/ops/ortho.ts";
import { syntheticRpc } from "./rpc-fixtures.ts";

const rpcImage: Grid = {
  width: 300,
  height: 300,
  bands: 2,
  dataType: "uint16",
  geoTransform: null,
  crs: null,
  nodata: null,
  rpc: syntheticRpc(300),
};
const utmImage: Grid = {
  width: 240,
  height: 200,
  bands: 1,
  dataType: "uint8",
  geoTransform: [372000, 10, 0, 4830000, 0, -10],
  crs: { epsg: 32631, wkt: null },
  nodata: 0,
};
const dem = (epsg: number): Grid => ({
  width: 80,
  height: 60,
  bands: 1,
  dataType: "float32",
  geoTransform: [1.42, 0.0005, 0, 43.615, 0, -0.0005],
  crs: { epsg, wkt: null },
  nodata: null,
});

describe("ortho / reproject output grids", () => {
  it("ortho without bounds: the image's ground footprint at the model's mean height, snapped outwards", () => {
    const g = ortho.outputGrid(
      ortho.params.parse({ crs: "EPSG:32631", resolution: 4 }),
      new Map([["image", rpcImage]]),
    ) as Grid;
    const gt = g.geoTransform!;
    expect(gt[1]).toBe(4);
    expect(gt[0] % 4).toBe(0);
    expect(gt[3] % 4).toBe(0);
    // the model's image spans ≈ 1290 m x 1340 m of ground (with the shear)
    expect(g.width * 4).toBeGreaterThan(1250);
    expect(g.width * 4).toBeLessThan(1500);
    expect(g.height * 4).toBeGreaterThan(1250);
    expect(g.height * 4).toBeLessThan(1500);
    expect(g).toMatchObject({ bands: 2, dataType: "uint16", crs: { epsg: 32631, wkt: null } });
    expect("rpc" in g).toBe(false);
  });

  it("reproject without bounds: the input's extent projected, snapped outwards", () => {
    const g = reproject.outputGrid(
      reproject.params.parse({ crs: "EPSG:3857", resolution: 10 }),
      new Map([["image", utmImage]]),
    ) as Grid;
    expect(g.geoTransform![0]).toBe(157380);
    expect(g.width).toBeGreaterThan(330);
  });

  const cases: [string, () => unknown, { code: string; path: string }][] = [
    [
      "a target CRS proj4 is not given",
      () =>
        ortho.outputGrid(
          ortho.params.parse({ crs: "EPSG:27700", resolution: 4 }),
          new Map([["image", rpcImage]]),
        ),
      { code: "crs-unsupported", path: "params.crs" },
    ],
    [
      "a DEM in an unknown CRS",
      () =>
        ortho.outputGrid(
          ortho.params.parse({ crs: "EPSG:32631", resolution: 4 }),
          new Map([
            ["image", rpcImage],
            ["dem", dem(27700)],
          ]),
        ),
      { code: "dem-unusable", path: "inputs.dem" },
    ],
    [
      "reproject of a sensor-geometry image",
      () =>
        reproject.outputGrid(
          reproject.params.parse({ crs: "EPSG:32631", resolution: 4, bounds: [0, 0, 10, 10] }),
          new Map([["image", rpcImage]]),
        ),
      { code: "grid-underivable", path: "inputs.image" },
    ],
  ];
  for (const [name, f, issue] of cases) {
    it(`an issue for ${name}`, () => {
      expect(f()).toMatchObject(issue);
    });
  }

  it("ortho params: path-named errors", () => {
    const r = ortho.params.safeParse({ crs: "32631", resolution: -1, resampling: "lanczos", height: "x" });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join("."))).toEqual([
      "crs",
      "resolution",
      "resampling",
      "height",
    ]);
  });
});
