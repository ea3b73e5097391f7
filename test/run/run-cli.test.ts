/**
 * `imagechain run` end to end, as a user runs it: real worker processes, real files, the output read back by
 * our reader and by GDAL. The pixels must equal the kernels applied to the whole image at once (so tiling,
 * halos and image borders change nothing), and the bytes must not depend on the number of workers or on a
 * worker killed mid-run.
 */
import { spawn } from "node:child_process";
import { mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateSpec } from "../../operator/spec/validate.ts";
import type { Block } from "../../worker/io/raster.ts";
import { openRaster } from "../../worker/io/tiff/reader.ts";
import { OPS } from "../../worker/ops/registry.ts";
import type { Grid } from "../../worker/ops/grid.ts";
import { imagechain } from "../helpers/cli.ts";
import { leftIn, makeScene, ndviChain, writeChain, type Scene } from "./fixtures.ts";

const MAIN = join(import.meta.dirname, "../../operator/cli/main.ts");

let scene: Scene;
let reference: Block;

async function readOutput(path: string): Promise<Block> {
  const r = await openRaster(path);
  try {
    return await r.readWindow({ x: 0, y: 0, width: r.info.width, height: r.info.height });
  } finally {
    await r.close();
  }
}

/** NDVI then the gaussian, each kernel called once on the whole image. */
async function wholeImage(): Promise<Block> {
  const spec = validateSpec(ndviChain(scene.uri, "file:///unused.tif").spec);
  if (!spec.ok) throw new Error("fixture chain is invalid");
  const [ndviStep, smoothStep] = spec.value.steps;
  const r = await openRaster(scene.path);
  const block = await r.readWindow({ x: 0, y: 0, width: r.info.width, height: r.info.height });
  const { width, height } = r.info;
  const sceneGrid: Grid = { ...r.info, bands: 4, crs: r.info.crs };
  await r.close();
  const window = { x: 0, y: 0, width, height };
  const ndviGrid = OPS.bandmath.outputGrid(ndviStep!.params as never, new Map([["im", sceneGrid]])) as Grid;
  const ndvi = OPS.bandmath.kernel(
    ndviStep!.params as never,
    new Map([["im", { block, window, grid: sceneGrid }]]),
    {
      window,
      grid: ndviGrid,
    },
  );
  const smoothGrid = OPS.convolve.outputGrid(
    smoothStep!.params as never,
    new Map([["im", ndviGrid]]),
  ) as Grid;
  return OPS.convolve.kernel(
    smoothStep!.params as never,
    new Map([["im", { block: ndvi, window, grid: ndviGrid }]]),
    { window, grid: smoothGrid },
  );
}

beforeAll(async () => {
  scene = await makeScene(700, 500); // 128-pixel tiles do not divide it: edge tiles are partial
  reference = await wholeImage();
});
afterAll(() => rm(scene.dir, { recursive: true, force: true }));

async function run(name: string, workers: number, extra: { tasksPerPod?: number } = {}) {
  const out = join(scene.dir, `${name}.tif`);
  const file = await writeChain(
    scene.dir,
    `${name}.yaml`,
    ndviChain(pathToFileURL(scene.path).href, pathToFileURL(out).href, extra),
  );
  const work = join(scene.dir, `work-${name}`);
  await mkdir(work);
  const result = await imagechain(["run", file, "--workers", String(workers), "--workdir", work]);
  return { ...result, out, work };
}

describe("imagechain run", () => {
  it("computes NDVI then a gaussian exactly as the kernels do on the whole image, and leaves no scratch", async () => {
    const r = await run("w2", 2);
    expect(r.stderr).not.toContain("error");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/wrote file:\/\/.*w2\.tif/);
    expect(r.stdout).toMatch(/Mpx\/s, peak scratch/);
    const out = await readOutput(r.out);
    expect(out.width).toBe(700);
    expect(out.dataType).toBe("float32");
    expect(Buffer.from(out.bands[0]!.buffer).equals(Buffer.from(reference.bands[0]!.buffer))).toBe(true);
    expect(await leftIn(r.work)).toEqual([]);
  });

  it("deletes every intermediate tile as its consumers finish: a kept scratch directory ends empty of tiles", async () => {
    const out = join(scene.dir, "kept.tif");
    const file = await writeChain(scene.dir, "kept.yaml", ndviChain(scene.uri, pathToFileURL(out).href));
    const work = join(scene.dir, "work-kept");
    await mkdir(work);
    const r = await imagechain(["run", file, "--workers", "2", "--workdir", work, "--keep-scratch"]);
    expect(r.code, r.stderr).toBe(0);
    const kept = /scratch kept in (.+)/.exec(r.stdout)![1]!;
    expect(kept.startsWith(work)).toBe(true);
    const files = (await leftIn(kept)).filter((f) => /\.(tile|enc)$/.test(f));
    expect(files).toEqual([]);
    const peak = Number(/peak scratch ([\d.]+) MiB/.exec(r.stdout)![1]);
    expect(peak).toBeGreaterThan(0);
    expect((await readFile(out)).equals(await readFile(join(scene.dir, "w2.tif")))).toBe(true);
  });

  it("writes the same bytes with 1, 2 and 3 workers", async () => {
    const runs = await Promise.all([run("w1", 1), run("w3", 3)]);
    const bytes = await Promise.all(
      [join(scene.dir, "w2.tif"), ...runs.map((r) => r.out)].map((p) => readFile(p)),
    );
    for (const r of runs) expect(r.code).toBe(0);
    expect(bytes[1]!.equals(bytes[0]!)).toBe(true);
    expect(bytes[2]!.equals(bytes[0]!)).toBe(true);
  });

  it("retries the batch of a worker killed mid-run and still writes the same bytes", async () => {
    const out = join(scene.dir, "killed.tif");
    const file = await writeChain(
      scene.dir,
      "killed.yaml",
      ndviChain(scene.uri, pathToFileURL(out).href, { tileSize: 64, tasksPerPod: 1000 }),
    );
    const reference64 = join(scene.dir, "tile64.tif");
    const plain = await imagechain([
      "run",
      await writeChain(
        scene.dir,
        "tile64.yaml",
        ndviChain(scene.uri, pathToFileURL(reference64).href, { tileSize: 64 }),
      ),
      "--workers",
      "2",
    ]);
    expect(plain.code).toBe(0);

    const child = spawn(process.execPath, [MAIN, "run", file, "--workers", "2"]);
    let stderr = "";
    let killed = false;
    const pids: number[] = [];
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      for (const line of d.toString().split("\n")) {
        if (!line.startsWith("{")) continue;
        const entry = JSON.parse(line) as { msg: string; pid?: number; done?: number };
        if (entry.msg === "worker started") pids.push(entry.pid!);
        if (entry.msg === "progress" && !killed) {
          killed = true;
          process.kill(pids[0]!, "SIGKILL");
        }
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(stderr).toContain("batch failed, will retry");
    expect(stderr).toMatch(/worker process \d+ died \(SIGKILL\)/);
    expect(code).toBe(0);
    expect((await readFile(out)).equals(await readFile(reference64))).toBe(true);
  });
});
