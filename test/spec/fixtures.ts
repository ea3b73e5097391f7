import type { Grid } from "../../worker/ops/grid.ts";

/** A 10 m UTM 31N scene of 1000 x 1000 pixels, and the grids the bad-spec table derives from it. */
export function utmGrid(over: Partial<Grid> = {}): Grid {
  return {
    width: 1000,
    height: 1000,
    bands: 4,
    dataType: "uint16",
    geoTransform: [300000, 10, 0, 5000000, 0, -10],
    crs: { epsg: 32631, wkt: null },
    nodata: 0,
    ...over,
  };
}

export const SOURCE_GRIDS: Record<string, Grid> = {
  scene: utmGrid(),
  dem: utmGrid({
    width: 100,
    height: 100,
    bands: 1,
    dataType: "float32",
    geoTransform: [300000, 100, 0, 5000000, 0, -100],
  }),
  pan: utmGrid({ width: 2000, height: 2000, bands: 1, geoTransform: [300000, 5, 0, 5000000, 0, -5] }),
  ms: utmGrid(),
  small: utmGrid({ width: 500, height: 500 }),
};

/** A valid chain: ortho → NDVI → gaussian, one COG output. Tests copy it and break one thing. */
export function baseSpec(): Record<string, unknown> & {
  steps: Record<string, unknown>[];
  outputs: Record<string, unknown>[];
} {
  return {
    sources: {
      scene: { uri: "s3://l1c/scene.tif" },
      dem: { uri: "s3://aux/dem.tif" },
      pan: { uri: "s3://l1c/pan.tif" },
      ms: { uri: "s3://l1c/ms.tif" },
      small: { uri: "file:///data/small.tif" },
    },
    steps: [
      {
        name: "ortho",
        op: "ortho",
        inputs: { image: "scene", dem: "dem" },
        params: { crs: "EPSG:32631", resolution: 10, bounds: [300000, 4990000, 310000, 5000000] },
      },
      {
        name: "ndvi",
        op: "bandmath",
        inputs: { im: "ortho" },
        params: { expression: "(im.b4 - im.b3) / (im.b4 + im.b3)", dataType: "float32" },
      },
      {
        name: "smooth",
        op: "convolve",
        inputs: { im: "ndvi" },
        params: { kernel: { gaussian: { sigma: 1.5 } } },
      },
    ],
    outputs: [{ step: "smooth", uri: "s3://results/ndvi.tif" }],
  };
}
