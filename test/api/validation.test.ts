/**
 * A mistake throws at the call that makes it, with the manifest validator's code and message: each case
 * is the API call and the equivalent manifest, whose validateSpec verdict must be the same.
 */
import { describe, expect, it } from "vitest";
import { flow, FlowError, mosaic, read, type Grid, type Issue } from "../../operator/api/index.ts";
import { plan } from "../../operator/plan/plan.ts";
import { validateSpec } from "../../operator/spec/validate.ts";

const SCENE = "s3://l1c/scene.tif";
const OUT = "s3://out/x.tif";

function thrown(call: () => unknown): readonly Issue[] {
  try {
    call();
  } catch (e) {
    if (e instanceof FlowError) return e.issues;
    throw e;
  }
  throw new Error("no FlowError thrown");
}

/** A one-step manifest on one source `scene`. */
function oneStep(op: string, params: unknown, inputs: Record<string, string> = { im: "scene" }) {
  return {
    sources: { scene: { uri: SCENE } },
    steps: [{ name: "s", op, inputs, params }],
    outputs: [{ step: "s", uri: OUT }],
  };
}

const scene = () => read(SCENE, { name: "scene" });

const cases: { name: string; call: () => unknown; manifest: unknown; path: string }[] = [
  {
    name: "a bad source URI, at read",
    call: () => read("ftp://host/x.tif", { name: "scene" }),
    manifest: { ...oneStep("stretch", {}), sources: { scene: { uri: "ftp://host/x.tif" } } },
    path: "sources.scene.uri",
  },
  {
    name: "a bad source name, at read",
    call: () => read(SCENE, { name: "Scene_1" }),
    manifest: { ...oneStep("stretch", {}, { im: "Scene_1" }), sources: { Scene_1: { uri: SCENE } } },
    path: "sources.Scene_1",
  },
  {
    name: "an alias that no expression input has, at bandmath",
    call: () => scene().bandmath({ expression: "x.b1" }, { name: "s" }),
    manifest: oneStep("bandmath", { expression: "x.b1" }),
    path: "steps.s.params.expression",
  },
  {
    name: "an expression syntax error, in the second expression",
    call: () => scene().bandmath({ expression: ["im.b1", "im.b2 +"] }, { name: "s" }),
    manifest: oneStep("bandmath", { expression: ["im.b1", "im.b2 +"] }),
    path: "steps.s.params.expression[1]",
  },
  {
    name: "a nodata the output type cannot hold",
    call: () => scene().bandmath({ expression: "im.b1", dataType: "uint8", nodata: -1 }, { name: "s" }),
    manifest: oneStep("bandmath", { expression: "im.b1", dataType: "uint8", nodata: -1 }),
    path: "steps.s.params.nodata",
  },
  {
    name: "an even box kernel, at convolve",
    call: () => scene().convolve({ kernel: { box: { size: 4 } } }, { name: "s" }),
    manifest: oneStep("convolve", { kernel: { box: { size: 4 } } }),
    path: "steps.s.params.kernel.box.size",
  },
  {
    name: "two kernel kinds",
    call: () => scene().convolve({ kernel: { laplacian: {}, sobel: "x" } }, { name: "s" }),
    manifest: oneStep("convolve", { kernel: { laplacian: {}, sobel: "x" } }),
    path: "steps.s.params.kernel",
  },
  {
    name: "a CRS that is not EPSG:n, at ortho",
    call: () => scene().ortho({ crs: "WGS84", resolution: 10 }, { name: "s" }),
    manifest: oneStep("ortho", { crs: "WGS84", resolution: 10 }, { image: "scene" }),
    path: "steps.s.params.crs",
  },
  {
    name: "stretch bounds in the wrong order",
    call: () => scene().stretch({ low: 90, high: 10 }, { name: "s" }),
    manifest: oneStep("stretch", { low: 90, high: 10 }),
    path: "steps.s.params.high",
  },
  {
    name: "a mosaic of too many inputs",
    call: () => mosaic(Array.from({ length: 65 }, scene), {}, { name: "s" }),
    manifest: oneStep(
      "mosaic",
      {},
      Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`im${i + 1}`, "scene"])),
    ),
    path: "steps.s.inputs",
  },
  {
    name: "a step name that is not a name",
    call: () => scene().stretch({}, { name: "Display" }),
    manifest: {
      ...oneStep("stretch", {}),
      steps: [{ name: "Display", op: "stretch", inputs: { im: "scene" } }],
    },
    path: "steps.Display.name",
  },
  {
    name: "a step named like its source, at the step",
    call: () => scene().stretch({}, { name: "scene" }),
    manifest: {
      ...oneStep("stretch", {}),
      steps: [
        { name: "scene", op: "stretch", inputs: { im: "scene" } },
        { name: "s", op: "stretch", inputs: { im: "scene" } },
      ],
    },
    path: "steps.scene.name",
  },
  {
    name: "an http output, at write",
    call: () => scene().stretch({}, { name: "s" }).write("https://host/x.tif"),
    manifest: { ...oneStep("stretch", {}), outputs: [{ step: "s", uri: "https://host/x.tif" }] },
    path: 'outputs["https://host/x.tif"].uri',
  },
  {
    name: "one URI written twice, when the flows are joined",
    call: () => {
      const s = scene().stretch({}, { name: "s" });
      return flow(s.write(OUT), s.write(OUT)).toManifest();
    },
    manifest: {
      ...oneStep("stretch", {}),
      outputs: [
        { step: "s", uri: OUT },
        { step: "s", uri: OUT },
      ],
    },
    path: 'outputs["s3://out/x.tif"].uri',
  },
];

describe("validation at the call, with the validator's verdict", () => {
  it.each(cases)("$name", ({ call, manifest, path }) => {
    const checked = validateSpec(manifest);
    expect(checked.ok).toBe(false);
    const expected = checked.ok ? [] : checked.issues.map(({ code, message }) => ({ code, message }));
    const issues = thrown(call);
    expect(issues.map(({ code, message }) => ({ code, message }))).toStrictEqual(expected);
    expect(issues.at(-1)!.path).toBe(path);
  });
});

describe("band references, checked at the call when band counts are declared", () => {
  const grid = (bands: number): Grid => ({
    width: 300,
    height: 200,
    bands,
    dataType: "uint16",
    geoTransform: [300000, 10, 0, 5000000, 0, -10],
    crs: { epsg: 32631, wkt: null },
    nodata: 0,
  });

  it("throws at bandmath with the planner's message (a band past a 4-band source)", () => {
    const issues = thrown(() =>
      read(SCENE, { name: "scene", bands: 4 }).bandmath({ expression: "im.b5 - im.b1" }, { name: "s" }),
    );
    const spec = validateSpec(oneStep("bandmath", { expression: "im.b5 - im.b1" }));
    if (!spec.ok) throw new Error("fixture spec is invalid");
    const planned = plan(spec.value, { scene: grid(4) });
    expect(planned.ok).toBe(false);
    const expected = planned.ok
      ? []
      : planned.issues.map((i) => ({ ...i, path: "steps.s.params.expression" }));
    expect(issues).toStrictEqual(expected);
    expect(issues[0]!.message).toContain("'im' has 4 bands");
  });

  it("follows band counts through steps (2 expressions, then a convolution: 2 bands)", () => {
    const two = read(SCENE, { bands: 4 })
      .bandmath({ expression: ["im.b4", "im.b3"] })
      .convolve({ kernel: { box: { size: 3 } } });
    expect(() => two.bandmath({ expression: "im.b2 - im.b1" })).not.toThrow();
    expect(thrown(() => two.bandmath({ expression: "im.b3" }))[0]!.message).toMatch(
      /^im.b3 does not exist: 'im' has 2 bands/,
    );
  });

  it("without a declared count, the same mistake is found by .plan() from the header", async () => {
    const chain = read(SCENE, { name: "scene" }).bandmath({ expression: "im.b5" }, { name: "s" }).write(OUT);
    const error = await chain.plan({ sources: { scene: grid(4) } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlowError);
    expect((error as FlowError).issues.map((i) => [i.code, i.path])).toStrictEqual([
      ["expression-reference", "steps.s.params.expression"],
    ]);
  });

  it("a declared count that the header contradicts is refused at planning", async () => {
    const chain = read(SCENE, { name: "scene", bands: 3 }).bandmath({ expression: "im.b1" }).write(OUT);
    const error = await chain.plan({ sources: { scene: grid(4) } }).catch((e: unknown) => e);
    expect((error as FlowError).issues).toStrictEqual([
      {
        code: "source-bands",
        path: "sources.scene",
        message: `read(${SCENE}) declared 3 band(s), its header has 4`,
      },
    ]);
  });

  it("a band count must be a positive integer", () => {
    expect(thrown(() => read(SCENE, { bands: 0 }))[0]!.code).toBe("bad-bands");
  });
});
