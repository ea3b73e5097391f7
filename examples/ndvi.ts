/**
 * examples/ndvi.yaml in code: NDVI of a 4-band scene (band 4 near infrared, band 3 red), smoothed by a
 * gaussian, written as a COG. `node examples/ndvi.ts` prints the manifest.
 */
import { read, type Flow } from "imagechain";

export function ndvi(scene = "s3://l1c/T31TCJ_20260101.tif", output = "s3://results/s2-ndvi/ndvi.tif"): Flow {
  return read(scene, { name: "scene" })
    .bandmath({ expression: "(im.b4 - im.b3) / (im.b4 + im.b3)", dataType: "float32" }, { name: "ndvi" })
    .convolve({ kernel: { gaussian: { sigma: 1.5 } }, border: "reflect" }, { name: "smooth" })
    .write(output, { format: "cog", compression: "deflate" })
    .with({
      name: "s2-ndvi",
      namespace: "eo",
      tiling: { tileSize: 512 },
      execution: { parallelism: 16, tasksPerPod: 64, retries: { limit: 3, backoffSeconds: 10 } },
    });
}

if (import.meta.main) process.stdout.write(ndvi().toYAML());
