import { describe, expect, it } from "vitest";
import { deriveGrids } from "../../operator/plan/grids.ts";
import type { Issue } from "../../operator/spec/issues.ts";
import { validateSpec } from "../../operator/spec/validate.ts";
import { baseSpec, SOURCE_GRIDS } from "./fixtures.ts";

type Spec = ReturnType<typeof baseSpec>;
type Params = Record<string, unknown>;

function issuesOf(raw: unknown, sources = SOURCE_GRIDS): readonly Issue[] {
  const checked = validateSpec(raw);
  if (!checked.ok) return checked.issues;
  const grids = deriveGrids(checked.value, sources);
  return grids.ok ? [] : grids.issues;
}

const params = (s: Spec, i: number): Params => s.steps[i]!.params as Params;
const execution = (s: Spec): Params => (s.execution ??= {}) as Params;

/** Each case breaks one thing in the valid base chain and names the one path that must be reported. */
const CASES: [string, (s: Spec) => void, string][] = [
  ["unknown op", (s) => (s.steps[1]!.op = "ndwi"), "spec.steps[1].op"],
  ["step name not DNS-like", (s) => (s.steps[1]!.name = "NDVI step"), "spec.steps[1].name"],
  ["duplicate step name", (s) => s.steps.push({ ...s.steps[1]!, name: "ndvi" }), "spec.steps[3].name"],
  ["step named like a source", (s) => s.steps.push({ ...s.steps[1]!, name: "scene" }), "spec.steps[3].name"],
  ["unknown input reference", (s) => (s.steps[1]!.inputs = { im: "orto" }), "spec.steps[1].inputs.im"],
  ["step reads itself", (s) => (s.steps[2]!.inputs = { im: "smooth" }), "spec.steps[2].inputs.im"],
  ["two steps form a cycle", (s) => (s.steps[1]!.inputs = { im: "smooth" }), "spec.steps[2].inputs.im"],
  [
    "input alias not an identifier",
    (s) => (s.steps[2]!.inputs = { "1im": "ndvi" }),
    'spec.steps[2].inputs["1im"]',
  ],
  [
    "expression syntax",
    (s) => (params(s, 1).expression = "(im.b4 - im.b3 / 2"),
    "spec.steps[1].params.expression",
  ],
  [
    "expression unknown alias",
    (s) => (params(s, 1).expression = "img.b4 - im.b3"),
    "spec.steps[1].params.expression",
  ],
  [
    "expression unknown function",
    (s) => (params(s, 1).expression = "ln(im.b4)"),
    "spec.steps[1].params.expression",
  ],
  [
    "expression band out of range",
    (s) => (params(s, 1).expression = "im.b5 - im.b3"),
    "spec.steps[1].params.expression",
  ],
  [
    "expression arity",
    (s) => (params(s, 1).expression = "clamp(im.b4, 0)"),
    "spec.steps[1].params.expression",
  ],
  [
    "second expression bad",
    (s) => (params(s, 1).expression = ["im.b1", "im.b0"]),
    "spec.steps[1].params.expression[1]",
  ],
  ["bandmath data type", (s) => (params(s, 1).dataType = "float16"), "spec.steps[1].params.dataType"],
  [
    "bandmath inputs on two grids",
    (s) => {
      s.steps[1]!.inputs = { a: "scene", b: "small" };
      params(s, 1).expression = "a.b1 + b.b1";
    },
    "spec.steps[1].inputs.b",
  ],
  [
    "convolve with two inputs",
    (s) => (s.steps[2]!.inputs = { im: "ndvi", b: "ortho" }),
    "spec.steps[2].inputs",
  ],
  [
    "gaussian sigma negative",
    (s) => (params(s, 2).kernel = { gaussian: { sigma: -1 } }),
    "spec.steps[2].params.kernel.gaussian.sigma",
  ],
  [
    "box of even size",
    (s) => (params(s, 2).kernel = { box: { size: 4 } }),
    "spec.steps[2].params.kernel.box.size",
  ],
  [
    "matrix of even size",
    (s) =>
      (params(s, 2).kernel = {
        matrix: [
          [1, 1],
          [1, 1],
        ],
      }),
    "spec.steps[2].params.kernel.matrix",
  ],
  [
    "ragged matrix",
    (s) =>
      (params(s, 2).kernel = {
        matrix: [
          [1, 1, 1],
          [1, 1],
          [1, 1, 1],
        ],
      }),
    "spec.steps[2].params.kernel.matrix[1]",
  ],
  [
    "unknown kernel",
    (s) => (params(s, 2).kernel = { median: { size: 3 } }),
    "spec.steps[2].params.kernel.median",
  ],
  ["sobel direction", (s) => (params(s, 2).kernel = { sobel: "z" }), "spec.steps[2].params.kernel.sobel"],
  ["bad border", (s) => (params(s, 2).border = "wrap"), "spec.steps[2].params.border"],
  ["unknown param", (s) => (params(s, 2).sigma = 2), "spec.steps[2].params.sigma"],
  ["ortho without image", (s) => (s.steps[0]!.inputs = { dem: "dem" }), "spec.steps[0].inputs"],
  [
    "ortho with an unknown input",
    (s) => (s.steps[0]!.inputs = { image: "scene", mask: "dem" }),
    "spec.steps[0].inputs.mask",
  ],
  ["ortho crs", (s) => (params(s, 0).crs = "UTM31N"), "spec.steps[0].params.crs"],
  ["ortho resolution zero", (s) => (params(s, 0).resolution = 0), "spec.steps[0].params.resolution"],
  [
    "ortho bounds inverted",
    (s) => (params(s, 0).bounds = [310000, 4990000, 300000, 5000000]),
    "spec.steps[0].params.bounds",
  ],
  [
    "ortho target CRS unknown to proj4",
    (s) => {
      params(s, 0).crs = "EPSG:27700";
      delete params(s, 0).bounds;
    },
    "spec.steps[0].params.crs",
  ],
  ["ortho resampling", (s) => (params(s, 0).resampling = "lanczos"), "spec.steps[0].params.resampling"],
  [
    "stretch low above high",
    (s) => {
      s.steps.push({ name: "st", op: "stretch", inputs: { im: "smooth" }, params: { low: 90, high: 10 } });
    },
    "spec.steps[3].params.high",
  ],
  [
    "pansharpen without ms",
    (s) => s.steps.push({ name: "ps", op: "pansharpen", inputs: { pan: "pan" } }),
    "spec.steps[3].inputs",
  ],
  [
    "pansharpen pan of 4 bands",
    (s) => {
      s.steps.push({ name: "ps", op: "pansharpen", inputs: { pan: "scene", ms: "ms" } });
    },
    "spec.steps[3].inputs.pan",
  ],
  [
    "pansharpen weights",
    (s) => {
      s.steps.push({
        name: "ps",
        op: "pansharpen",
        inputs: { pan: "pan", ms: "ms" },
        params: { weights: [1, 1] },
      });
    },
    "spec.steps[3].params.weights",
  ],
  [
    "mosaic method",
    (s) => {
      s.steps.push({
        name: "mo",
        op: "mosaic",
        inputs: { a: "scene", b: "small" },
        params: { method: "median" },
      });
    },
    "spec.steps[3].params.method",
  ],
  [
    "mosaic of different band counts",
    (s) => {
      s.steps.push({ name: "mo", op: "mosaic", inputs: { a: "scene", b: "dem" } });
    },
    "spec.steps[3].inputs.b",
  ],
  ["output of an unknown step", (s) => (s.outputs[0]!.step = "smoothed"), "spec.outputs[0].step"],
  [
    "two outputs to one URI",
    (s) => s.outputs.push({ step: "ndvi", uri: "s3://results/ndvi.tif" }),
    "spec.outputs[1].uri",
  ],
  ["output compression", (s) => (s.outputs[0]!.compression = "zstd"), "spec.outputs[0].compression"],
  ["output to https", (s) => (s.outputs[0]!.uri = "https://example.com/a.tif"), "spec.outputs[0].uri"],
  ["no outputs", (s) => (s.outputs = []), "spec.outputs"],
  [
    "no steps",
    (s) => {
      s.steps = [];
    },
    "spec.steps",
  ],
  [
    "source URI scheme",
    (s) => (s.sources = { ...(s.sources as object), scene: { uri: "ftp://x/scene.tif" } }),
    "spec.sources.scene.uri",
  ],
  ["tile size not a multiple of 16", (s) => (s.tiling = { tileSize: 500 }), "spec.tiling.tileSize"],
  ["parallelism zero", (s) => (execution(s).parallelism = 0), "spec.execution.parallelism"],
  ["tasksPerPod fractional", (s) => (execution(s).tasksPerPod = 1.5), "spec.execution.tasksPerPod"],
  ["retry limit negative", (s) => (execution(s).retries = { limit: -1 }), "spec.execution.retries.limit"],
  [
    "backoff zero",
    (s) => (execution(s).retries = { backoffSeconds: 0 }),
    "spec.execution.retries.backoffSeconds",
  ],
  ["scratch mode", (s) => (execution(s).scratch = { mode: "tmpfs" }), "spec.execution.scratch.mode"],
  ["scratch size", (s) => (execution(s).scratch = { size: "20 gigs" }), "spec.execution.scratch.size"],
  ["ttl negative", (s) => (s.ttlSecondsAfterFinished = -5), "spec.ttlSecondsAfterFinished"],
  ["suspend not a boolean", (s) => (s.suspend = "yes"), "spec.suspend"],
  ["unknown top-level field", (s) => (s.schedule = "nightly"), "spec.schedule"],
  ["storage endpoint", (s) => (s.storage = { s3: { endpoint: "minio:9000" } }), "spec.storage.s3.endpoint"],
  [
    "source without a header",
    (s) => (s.sources = { ...(s.sources as object), extra: { uri: "s3://b/extra.tif" } }),
    "spec.sources.extra",
  ],
];

describe("validateSpec + deriveGrids", () => {
  it("accepts the base chain and fills in the defaults", () => {
    const checked = validateSpec(baseSpec());
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    expect(checked.value.tiling.tileSize).toBe(512);
    expect(checked.value.execution.retries).toEqual({ limit: 3, backoffSeconds: 10 });
    expect(checked.value.outputs[0]).toMatchObject({ format: "cog", compression: "deflate" });
    expect(issuesOf(baseSpec())).toEqual([]);
  });

  it("has a table of at least 30 kinds of bad spec", () => expect(CASES.length).toBeGreaterThanOrEqual(30));

  it.each(CASES)("%s → exactly one issue at its path", (_name, breakIt, path) => {
    const spec = baseSpec();
    breakIt(spec);
    const issues = issuesOf(spec);
    expect(issues.map((i) => i.path)).toEqual([path]);
    expect(issues[0]!.message.length).toBeGreaterThan(5);
  });

  it("explains an expression error with its position", () => {
    const spec = baseSpec();
    params(spec, 1).expression = "im.b4 - im.b9";
    expect(issuesOf(spec)[0]!.message).toMatch(/im\.b9 does not exist: 'im' has 4 bands \(at character 9/);
  });
});
