/**
 * `.run()` of the examples that have pixel kernels today (bandmath, convolve) on generated scenes: the output
 * bytes equal those `imagechain run` writes from the flow's own manifest.
 */
import { mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ndviMinio } from "../../examples/ndvi-minio.ts";
import { ndvi } from "../../examples/ndvi.ts";
import type { Flow, RunEvent } from "../../operator/api/index.ts";
import { imagechain } from "../helpers/cli.ts";
import { writeFixtureCog } from "../helpers/raster-fixtures.ts";
import { makeScene, writeChain, type Scene } from "../run/fixtures.ts";

let scene: Scene;
const small = { tiling: { tileSize: 128 }, execution: { retries: { limit: 3, backoffSeconds: 0.1 } } };
const uri = (name: string) => pathToFileURL(join(scene.dir, name)).href;

beforeAll(async () => {
  scene = await makeScene(300, 200); // 128-pixel tiles: 3 x 2, partial at the right and bottom edges
  const band = (k: number) => (x: number, y: number) => (x * 7 + y * 13 * k) % 3000;
  for (const [name, k] of [
    ["red.tif", 1],
    ["nir.tif", 3],
  ] as const) {
    await writeFixtureCog(join(scene.dir, name), {
      width: 300,
      height: 200,
      dataType: "uint16",
      nodata: 0,
      bands: [band(k)],
    });
  }
});
afterAll(() => rm(scene.dir, { recursive: true, force: true }));

/** The CLI on the flow's manifest (as YAML, the way a user hands it over). */
async function cliRun(name: string, chain: Flow): Promise<void> {
  const file = await writeChain(scene.dir, `${name}.yaml`, chain.toYAML());
  const work = join(scene.dir, `work-${name}`);
  await mkdir(work, { recursive: true });
  const result = await imagechain(["run", file, "--workers", "1", "--workdir", work]);
  expect(result.code, result.stderr).toBe(0);
}

const bytes = (name: string) => readFile(join(scene.dir, name));

describe("run() writes what imagechain run writes", () => {
  it("examples/ndvi.ts", async () => {
    const events: RunEvent[] = [];
    const summary = await ndvi(scene.uri, uri("api-ndvi.tif"))
      .with(small)
      .run({ workers: 2, workdir: join(scene.dir, "work-api"), onEvent: (e) => events.push(e) });
    await cliRun("cli-ndvi", ndvi(scene.uri, uri("cli-ndvi.tif")).with(small));
    const api = await bytes("api-ndvi.tif");
    expect(api.equals(await bytes("cli-ndvi.tif"))).toBe(true);
    expect(summary.outputs).toStrictEqual([{ uri: uri("api-ndvi.tif"), bytes: api.length }]);
    const progress = events.filter((e) => e.type === "progress");
    expect(progress.at(-1)).toStrictEqual({ type: "progress", done: summary.tasks, total: summary.tasks });
  });

  it("examples/ndvi-minio.ts (two sources, two outputs)", async () => {
    const outputs = (p: string) => ({ ndvi: uri(`${p}-ndvi.tif`), smooth: uri(`${p}-smooth.tif`) });
    const chain = (p: string) => ndviMinio(uri("red.tif"), uri("nir.tif"), outputs(p)).with(small);
    await chain("api").run({ workers: 2, workdir: join(scene.dir, "work-api") });
    await cliRun("cli-minio", chain("cli"));
    for (const o of ["ndvi", "smooth"]) {
      expect((await bytes(`api-${o}.tif`)).equals(await bytes(`cli-${o}.tif`))).toBe(true);
    }
    expect((await bytes("api-ndvi.tif")).equals(await bytes("api-smooth.tif"))).toBe(false);
  });
});

describe("plan() without headers given", () => {
  it("plan() reads the source header and explain() prints the stage graph", async () => {
    const chain = ndvi(scene.uri, uri("unused.tif")).with(small);
    const p = await chain.plan();
    expect(p.grids.get("scene")).toMatchObject({ width: 300, height: 200, bands: 4, dataType: "uint16" });
    const text = await chain.explain({ lanes: 1 });
    expect(text.split("\n").slice(0, 2)).toStrictEqual([
      "[0] ndvi        tiles     6 tasks (3x2 tiles)  ndvi  ← scene",
      "[1] smooth      tiles     6 tasks (3x2 tiles)  smooth  ← ndvi",
    ]);
    expect(await chain.explain({ format: "dot" })).toMatch(/^digraph "s2-ndvi" \{/);
  });
});
