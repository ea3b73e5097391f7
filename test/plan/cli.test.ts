import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { UsageError } from "../../operator/cli/failure.ts";
import { planCommand } from "../../operator/cli/plan.ts";
import { hasGdal, python } from "../helpers/gdal.ts";

const TEN_STEPS = [
  "examples/ten-steps.yaml",
  "--source",
  "east=10980x10980x4:uint16@EPSG:32631,300000,5000000,10",
  "--source",
  "west=10980x10980x4:uint16@EPSG:32631,190200,5000000,10",
];

/** Run the command and keep what it printed. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((err += String(chunk)), true));
  const code = await planCommand(argv);
  vi.restoreAllMocks();
  return { code, out, err };
}

describe("imagechain plan", () => {
  afterEach(() => vi.restoreAllMocks());

  it("--json prints stages, tasks, lanes, cross-lane tiles and peak scratch", async () => {
    const { code, out } = await run([
      "examples/ndvi.yaml",
      "--json",
      "--source",
      "scene=10980x10980x4:uint16",
    ]);
    expect(code).toBe(0);
    const plan = JSON.parse(out);
    // 10980 px at 512 px tiles: 22 x 22 tiles; overviews down to one tile; one assembly.
    expect(plan.stages.slice(0, 2)).toMatchObject([
      { name: "ndvi", steps: ["ndvi"], tasks: 484 },
      { name: "smooth", steps: ["smooth"], tasks: 484 },
    ]);
    expect(plan.stages.at(-1)).toMatchObject({ name: "smooth.cog", kind: "assemble", tasks: 1 });
    expect(plan.tasks).toBe(484 + 484 + 121 + 36 + 9 + 4 + 1 + 1);
    expect(plan.lanes).toBe(16);
    expect(plan.crossLaneTiles).toBeGreaterThan(0);
    expect(plan.peakScratchTiles).toBeGreaterThan(0);
  });

  it("--dot draws the stage graph of a 10-step chain with tile counts", async () => {
    const { code, out } = await run([...TEN_STEPS, "--dot"]);
    expect(code).toBe(0);
    expect(out).toMatch(/^digraph "ten-steps" \{/);
    expect(out).toContain('s2 [label="both\\nboth → ndvi → ndwi → wet\\ntiles: 242 tiles (22x11)"]');
    expect(out).toContain('s3 -> s4 [label="halo 1px + pointwise"]');
    expect(out.match(/ -> /g)!.length).toBeGreaterThan(10);
  });

  it("--lanes overrides the lane count", async () => {
    const { out } = await run([...TEN_STEPS, "--json", "--lanes", "3"]);
    expect(JSON.parse(out).lanes).toBe(3);
  });

  it("exits 2 and names the field of an invalid chain", async () => {
    const dir = mkdtempSync(join(tmpdir(), "plan-cli-"));
    const file = join(dir, "bad.yaml");
    writeFileSync(
      file,
      [
        "sources: { scene: { uri: s3://b/s.tif } }",
        "steps:",
        "  - { name: ndvi, op: bandmath, inputs: { im: scene }, params: { expression: 'im.b9' } }",
        "outputs: [ { step: ndvi, uri: s3://o/n.tif } ]",
      ].join("\n"),
    );
    const failure = await planCommand([file, "--source", "scene=100x100x4:uint16"]).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(UsageError); // main prints its message and exits 2
    expect((failure as Error).message).toContain(
      "spec.steps[0].params.expression: im.b9 does not exist: 'im' has 4 bands",
    );
  });

  it.each([
    [["examples/ndvi.yaml", "--source", "scene=100x100:uint16"], /expected name=WIDTHxHEIGHTxBANDS/],
    [["examples/ndvi.yaml", "--source", "other=100x100x1:uint8"], /no source named 'other'/],
    [["examples/ndvi.yaml", "--json", "--dot"], /exclusive/],
    [[], /one chain file/],
  ])("rejects the command line %j", async (argv, message) => {
    await expect(planCommand(argv)).rejects.toThrow(message);
  });

  it.skipIf(!hasGdal && !process.env.CI)("reads the sources' headers when no --source is given", async () => {
    const dir = mkdtempSync(join(tmpdir(), "plan-cli-"));
    const tif = join(dir, "scene.tif");
    await python(
      [
        "import sys",
        "from osgeo import gdal, osr",
        "ds = gdal.GetDriverByName('GTiff').Create(sys.argv[1], 1200, 700, 4, gdal.GDT_UInt16)",
        "ds.SetGeoTransform([300000, 10, 0, 5000000, 0, -10])",
        "srs = osr.SpatialReference(); srs.ImportFromEPSG(32631); ds.SetProjection(srs.ExportToWkt())",
        "ds = None",
      ].join("\n"),
      [tif],
    );
    const chain = join(dir, "chain.yaml");
    writeFileSync(
      chain,
      [
        `sources: { scene: { uri: "file://${tif}" } }`,
        "steps:",
        "  - { name: ndvi, op: bandmath, inputs: { im: scene }, params: { expression: '(im.b4 - im.b3) / (im.b4 + im.b3)' } }",
        "  - { name: utm20, op: reproject, inputs: { image: ndvi }, params: { crs: 'EPSG:32631', resolution: 20 } }",
        "outputs: [ { step: utm20, uri: s3://o/n.tif } ]",
        "tiling: { tileSize: 256 }",
      ].join("\n"),
    );
    const { code, out, err } = await run([chain, "--json"]);
    expect(err).toBe("");
    expect(code).toBe(0);
    // 1200 x 700 at 256: 5 x 3 tiles; resampled to 20 m (600 x 350): 3 x 2 tiles, possible only with the geotransform read.
    expect(JSON.parse(out).stages.slice(0, 2)).toMatchObject([
      { name: "ndvi", tasks: 15 },
      { name: "utm20", tasks: 6 },
    ]);
  });
});
