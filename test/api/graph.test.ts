/** The lazy graph: derived names, shared branches, one source per URI, immutability, settings and metadata. */
import { describe, expect, it } from "vitest";
import { bandmath, flow, FlowError, fromManifest, mosaic, read } from "../../operator/api/index.ts";
import { nameFromUri } from "../../operator/api/names.ts";

const OUT = "s3://out/x.tif";

describe("names", () => {
  it.each([
    ["s3://l1c/T31TCJ_20260101.tif", "t31tcj-20260101"],
    ["s3://b/sentinel/B04.tif", "b04"],
    ["https://host/data/2026_scene.TIF?token=1", "scene"],
    ["file:///data/123.tif", "source"],
    [`s3://b/${"x".repeat(80)}.tif`, "x".repeat(59)],
  ])("%s → %s", (uri, name) => {
    expect(nameFromUri(uri)).toBe(name);
  });

  it("derives step names from ops in creation order, skipping names taken explicitly", () => {
    const s = read("s3://b/scene.tif");
    const a = s.bandmath({ expression: "im.b1" });
    const b = s.bandmath({ expression: "im.b2" }, { name: "bandmath-2" });
    const c = bandmath([a, b], { expression: "im1.b1 + im2.b1" });
    const spec = c.write(OUT).toManifest().spec;
    expect(spec.steps.map((x) => [x.name, x.inputs])).toStrictEqual([
      ["bandmath", { im: "scene" }],
      ["bandmath-2", { im: "scene" }],
      ["bandmath-3", { im1: "bandmath", im2: "bandmath-2" }],
    ]);
    expect(Object.keys(spec.sources)).toStrictEqual(["scene"]);
  });

  it("a source whose file name is an op's name keeps it; the step moves on", () => {
    const spec = read("s3://b/convolve.tif")
      .convolve({ kernel: { laplacian: {} } })
      .write(OUT)
      .toManifest().spec;
    expect(spec.steps[0]!.name).toBe("convolve-2");
    expect(spec.steps[0]!.inputs).toStrictEqual({ im: "convolve" });
  });
});

describe("graph", () => {
  it("a branch used twice is one step; reading one URI twice is one source", () => {
    const ndvi = read("s3://b/s.tif").bandmath({ expression: "(im.b4 - im.b3) / (im.b4 + im.b3)" });
    const again = read("s3://b/s.tif").bandmath({ expression: "im.b1" });
    const both = mosaic([ndvi, again]);
    const m = flow(both.write(OUT), ndvi.write("s3://out/ndvi.tif")).toManifest();
    expect(Object.keys(m.spec.sources)).toStrictEqual(["s"]);
    expect(m.spec.steps.map((x) => x.name)).toStrictEqual(["bandmath", "bandmath-2", "mosaic"]);
    expect(m.spec.outputs).toStrictEqual([
      { step: "mosaic", uri: OUT },
      { step: "bandmath", uri: "s3://out/ndvi.tif" },
    ]);
  });

  it("two different URIs given one name are refused where they meet", () => {
    const a = read("s3://b/a.tif", { name: "x" });
    const b = read("s3://b/b.tif", { name: "x" });
    expect(() => mosaic([a, b])).toThrow(FlowError);
    expect(() => mosaic([a, b])).toThrow("sources.x: 'x' names two sources: s3://b/a.tif and s3://b/b.tif");
  });

  it("images are immutable and params are copied: changing the caller's object later changes nothing", () => {
    const params = { expression: "im.b1", dataType: "float32" as const };
    const image = read("s3://b/s.tif").bandmath(params);
    params.expression = "im.b2";
    expect(image.write(OUT).toManifest().spec.steps[0]!.params).toStrictEqual({
      expression: "im.b1",
      dataType: "float32",
    });
    expect(Object.isFrozen(image)).toBe(true);
    expect(() => {
      (image.node as { params: { expression: string } }).params.expression = "x";
    }).toThrow(TypeError);
  });

  it("with() and toManifest() options layer settings and metadata; flow() joins in order", () => {
    const s = read("s3://b/s.tif").stretch();
    const a = s.write(OUT).with({ name: "a", tiling: { tileSize: 256 }, execution: { parallelism: 2 } });
    const b = s.write("s3://out/y.tif").with({ namespace: "eo", execution: { parallelism: 3 } });
    const m = flow(a, b).toManifest({ suspend: true });
    expect(m.metadata).toStrictEqual({ name: "a", namespace: "eo" });
    expect(m.spec).toMatchObject({ tiling: { tileSize: 256 }, execution: { parallelism: 3 }, suspend: true });
    expect(s.write(OUT).toManifest().metadata).toStrictEqual({ name: "imagechain" });
  });

  it("settings are validated by the schema at the terminal call", () => {
    expect(() =>
      read("s3://b/s.tif")
        .stretch()
        .write(OUT)
        .toManifest({ tiling: { tileSize: 100 } }),
    ).toThrow("tiling.tileSize: TIFF tiles are multiples of 16 pixels");
  });

  it("a flow with no output is refused with the validator's message", () => {
    expect(() => flow().toManifest()).toThrow("outputs: a chain needs at least one output");
  });

  it("toYAML is the manifest as YAML", () => {
    const f = read("s3://b/s.tif")
      .convolve({ kernel: { sobel: "x" } })
      .write(OUT);
    expect(f.toYAML({ name: "edges" })).toContain("kernel:\n          sobel: x\n");
  });
});

describe("fromManifest", () => {
  const spec = {
    sources: { scene: { uri: "s3://b/s.tif" } },
    steps: [
      { name: "smooth", op: "convolve", inputs: { im: "ndvi" }, params: { kernel: { box: { size: 3 } } } },
      { name: "ndvi", op: "bandmath", inputs: { im: "scene" }, params: { expression: "im.b1" } },
    ],
    outputs: [{ step: "smooth", uri: OUT }],
  };

  it("takes a bare spec, puts steps in dependency order and keeps names, aliases and params", () => {
    const m = fromManifest(spec).toManifest();
    expect(m.metadata).toStrictEqual({ name: "imagechain" });
    expect(m.spec).toStrictEqual({ ...spec, steps: [spec.steps[1], spec.steps[0]] });
  });

  it("a flow from a manifest grows like any other", () => {
    const back = fromManifest(spec);
    const more = back.image("smooth").stretch({}, { name: "display" }).write("s3://out/d.tif");
    expect(() => back.image("blur")).toThrow("steps.blur: no step is named 'blur'");
    expect(
      flow(back, more)
        .toManifest()
        .spec.steps.map((s) => s.name),
    ).toStrictEqual(["ndvi", "smooth", "display"]);
  });

  it("an invalid manifest is refused with the validator's issues and the manifest's own paths", () => {
    const bad = { ...spec, steps: [{ ...spec.steps[0]!, op: "blur" }, spec.steps[1]!] };
    const error = (() => {
      try {
        fromManifest({ apiVersion: "imagechain.io/v1alpha1", kind: "ImageChain", spec: bad });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(FlowError);
    expect((error as FlowError).issues.map((i) => [i.code, i.path])).toStrictEqual([
      ["unknown-op", "spec.steps[0].op"],
    ]);
  });
});
