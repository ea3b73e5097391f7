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
