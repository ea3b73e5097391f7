/** mosaic's output grid across CRSs: the union of the projected extents, and path-named refusals. */
import { describe, expect, it } from "vitest";
import type { Grid } from "../../worker/ops/grid.ts";
import { mosaic } from "../../worker/ops/mosaic.ts";

const grid = (epsg: number, geoTransform: Grid["geoTransform"], width = 100, height = 100): Grid => ({
  width,
  height,
  bands: 1,
  dataType: "uint16",
  nodata: 0,
  crs: { epsg, wkt: null },
  geoTransform,
});
const utm = grid(32631, [500000, 10, 0, 4000000, 0, -10]); // x 500000 … 501000, y 3999000 … 4000000
const p = mosaic.params.parse({});

describe("mosaic output grid across CRSs", () => {
  it("takes the first input's CRS and resolution, and the union with the other input projected into it", () => {
    // a 0.01° square whose south-west corner is near the UTM image's north-east one (gdaltransform: the
    // square spans x 501997.1 … 502897.1, y 3998999.97 … 4000109.39 in UTM 31N)
    const lonlat = grid(4326, [3.0222, 0.0001, 0, 36.1457, 0, -0.0001]);
    const out = mosaic.outputGrid(
      p,
      new Map([
        ["a", utm],
        ["b", lonlat],
      ]),
    ) as Grid;
    expect(out.crs).toEqual({ epsg: 32631, wkt: null });
    expect(out.geoTransform![0]).toBe(500000);
    expect(out.geoTransform![1]).toBe(10);
    expect(out.geoTransform![3]).toBeCloseTo(4000109.39, 1);
    expect(out.width).toBe(290); // (502897.1 - 500000) / 10
    expect(out.height).toBe(111); // (4000109.39 - 3998999.97) / 10
  });

  it("refuses an input whose CRS proj4 cannot use, naming it", () => {
    const custom: Grid = { ...utm, crs: { epsg: 2056, wkt: null } };
    const issue = mosaic.outputGrid(
      p,
      new Map([
        ["a", utm],
        ["swiss", custom],
      ]),
    );
    expect(issue).toMatchObject({ code: "crs-unsupported", path: "inputs.swiss" });
    const first = mosaic.outputGrid(
      p,
      new Map([
        ["swiss", custom],
        ["a", utm],
      ]),
    );
    expect(first).toMatchObject({ code: "crs-unsupported", path: "inputs.swiss" });
  });

  it("still refuses an input without a georeference", () => {
    const bare: Grid = { ...utm, crs: { epsg: 4326, wkt: null }, geoTransform: null };
    const issue = mosaic.outputGrid(
      p,
      new Map([
        ["a", utm],
        ["bare", bare],
      ]),
    );
    expect(issue).toMatchObject({ code: "bad-input", path: "inputs.bare" });
  });
});
