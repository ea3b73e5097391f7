/**
 * examples/ten-steps.yaml in code: two scenes reprojected onto a common 20 m grid, mosaicked, two indices,
 * a classification, filters and a stretch; joins take their inputs by alias.
 */
import { bandmath, flow, mosaic, read, type Flow } from "imagechain";

export function tenSteps(): Flow {
  const to20m = { crs: "EPSG:32631", resolution: 20, resampling: "bilinear" } as const;
  const east20 = read("s3://l2a/T31TDJ.tif", { name: "east" }).reproject(to20m, { name: "east20" });
  const west20 = read("s3://l2a/T31TCJ.tif", { name: "west" }).reproject(to20m, { name: "west20" });
  const both = mosaic({ a: west20, b: east20 }, { method: "max" }, { name: "both" });
  const ndvi = both.bandmath({ expression: "(m.b4 - m.b3) / (m.b4 + m.b3)" }, { name: "ndvi", as: "m" });
  const ndwi = both.bandmath({ expression: "(m.b2 - m.b4) / (m.b2 + m.b4)" }, { name: "ndwi", as: "m" });
  const wet = bandmath(
    { v: ndvi, w: ndwi },
    { expression: "w.b1 > 0.2 ? 1 : v.b1 < 0.1 ? 2 : 0", dataType: "uint8" },
    { name: "wet" },
  );
  const smooth = ndvi.convolve({ kernel: { gaussian: { sigma: 2 } } }, { name: "smooth", as: "v" });
  const edges = smooth.convolve({ kernel: { laplacian: {} } }, { name: "edges", as: "v" });
  const score = bandmath(
    { s: smooth, e: edges },
    { expression: "clamp(s.b1 - 0.5 * abs(e.b1), -1, 1)" },
    { name: "score" },
  );
  const display = score.stretch({ method: "minmax", dataType: "uint8" }, { name: "display", as: "s" });
  return flow(display.write("s3://results/ten/score.tif"), wet.write("s3://results/ten/wet.tif")).with({
    name: "ten-steps",
    namespace: "eo",
    tiling: { tileSize: 512 },
    execution: { parallelism: 8 },
  });
}

if (import.meta.main) process.stdout.write(tenSteps().toYAML());
