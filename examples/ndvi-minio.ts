/**
 * examples/ndvi-minio.yaml in code: NDVI of Sentinel-2 L2A bands stored one COG per band on an
 * S3-compatible store, written raw and smoothed. `node examples/ndvi-minio.ts` prints the manifest.
 */
import { bandmath, flow, read, type Flow } from "imagechain";

const SCENE = "s3://sentinel-cogs/sentinel-s2-l2a-cogs/31/T/CJ/2026/7/S2B_31TCJ_20260712_0_L2A";
const RESULTS = "s3://results/s2-ndvi/T31TCJ_20260712";

export function ndviMinio(
  red = `${SCENE}/B04.tif`,
  nir = `${SCENE}/B08.tif`,
  outputs = { ndvi: `${RESULTS}_ndvi.tif`, smooth: `${RESULTS}_ndvi_smooth.tif` },
): Flow {
  const ndvi = bandmath(
    { red: read(red, { name: "red" }), nir: read(nir, { name: "nir" }) },
    { expression: "(nir.b1 - red.b1) / (nir.b1 + red.b1)", dataType: "float32", nodata: -9999 },
    { name: "ndvi" },
  );
  const smooth = ndvi.convolve(
    { kernel: { gaussian: { sigma: 1.0 } }, border: "reflect" },
    { name: "smooth" },
  );
  return flow(
    ndvi.write(outputs.ndvi, { compression: "deflate" }),
    smooth.write(outputs.smooth, { compression: "deflate" }),
  ).with({
    name: "s2-ndvi-minio",
    namespace: "eo",
    tiling: { tileSize: 512 },
    storage: {
      s3: {
        endpoint: "http://minio.storage:9000",
        region: "us-east-1",
        forcePathStyle: true,
        credentialsSecret: "s3-creds",
      },
    },
    execution: { parallelism: 8, tasksPerPod: 32 },
  });
}

if (import.meta.main) process.stdout.write(ndviMinio().toYAML());
