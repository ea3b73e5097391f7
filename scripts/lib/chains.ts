/** The NDVI-then-gaussian steps that the planning benchmark and the cluster simulator both start from. */
export const NDVI_SMOOTH_STEPS = [
  {
    name: "ndvi",
    op: "bandmath",
    inputs: { im: "scene" },
    params: { expression: "(im.b4 - im.b3) / (im.b4 + im.b3)" },
  },
  {
    name: "smooth",
    op: "convolve",
    inputs: { im: "ndvi" },
    params: { kernel: { gaussian: { sigma: 1.5 } } },
  },
] as const;

/**
 * The five-step chain of the planning benchmark (NDVI, gaussian, scaling, Sobel, percentile stretch) on one
 * scene, with `lanes` lanes and tiles of `tileSize`: bench:plan and the status-size test plan it at a million tiles.
 */
export function fiveStepChain(lanes: number, tileSize: number) {
  return {
    sources: { scene: { uri: "s3://bench/scene.tif" } },
    steps: [
      ...NDVI_SMOOTH_STEPS,
      {
        name: "scaled",
        op: "bandmath",
        inputs: { im: "smooth" },
        params: { expression: "clamp(im.b1, -1, 1) * 100" },
      },
      { name: "edges", op: "convolve", inputs: { im: "scaled" }, params: { kernel: { sobel: "magnitude" } } },
      { name: "stretched", op: "stretch", inputs: { im: "edges" }, params: { dataType: "uint8" } },
    ],
    outputs: [{ step: "stretched", uri: "s3://bench/out.tif" }],
    tiling: { tileSize },
    execution: { parallelism: lanes, tasksPerPod: 64 },
  };
}
