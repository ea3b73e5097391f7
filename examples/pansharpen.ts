/**
 * examples/pansharpen.yaml in code: 4-band MS pansharpened onto the PAN grid, a true-colour stretch to
 * 8 bits and an edge map. Branches are plain variables: `sharp` feeds both outputs.
 */
import { flow, read, type Flow } from "imagechain";

export function pansharpen(): Flow {
  const sharp = read("s3://phr/IMG_P.tif", { name: "pan" }).pansharpen(
    read("s3://phr/IMG_MS.tif", { name: "ms" }),
    { weights: [0.25, 0.25, 0.25, 0.25], resampling: "cubic" },
    { name: "sharp" },
  );
  const display = sharp
    .bandmath({ expression: ["s.b3", "s.b2", "s.b1"], dataType: "uint16" }, { name: "rgb", as: "s" })
    .stretch({ method: "percentile", low: 2, high: 98, dataType: "uint8" }, { name: "display" });
  const edges = sharp.convolve(
    { kernel: { sobel: "magnitude" }, border: "edge" },
    { name: "edges", as: "s" },
  );
  return flow(
    display.write("s3://results/phr/rgb.tif"),
    edges.write("s3://results/phr/edges.tif", { compression: "lzw" }),
  ).with({
    name: "phr-sharpen",
    namespace: "eo",
    tiling: { tileSize: 1024 },
    execution: { parallelism: 8, tasksPerPod: 32 },
  });
}

if (import.meta.main) process.stdout.write(pansharpen().toYAML());
