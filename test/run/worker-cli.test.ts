/**
 * The worker entry as a pod runs it: one batch from the command line, one JSON line per finished task,
 * exit 0 / 2 (bad input, the source and tile named) / 3 (an input tile lost) / 1; tiles land in scratch under
 * atomic names.
 */
import { spawn } from "node:child_process";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { leftIn, makeScene, ndviChain, writeChain, type Scene } from "./fixtures.ts";

const WORKER = join(import.meta.dirname, "../../worker/main.ts");

function worker(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [WORKER, "run", ...args]);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

let scene: Scene;
let chain: string;
beforeAll(async () => {
  scene = await makeScene(300, 200); // 128-pixel tiles: 3 x 2 NDVI tiles are tasks 0-5 (one lane)
  chain = await writeChain(
    scene.dir,
    "c.yaml",
    ndviChain(scene.uri, pathToFileURL(join(scene.dir, "o.tif")).href),
  );
});
afterAll(() => rm(scene.dir, { recursive: true, force: true }));

describe("worker run (the pod entry point)", () => {
  it("runs the listed tasks in order, reports each, and leaves whole tiles only", async () => {
    const scratch = join(scene.dir, "scratch");
    const r = await worker([
      "--chain",
      chain,
      "--lanes",
      "1",
      "--lane",
      "0",
      "--tasks",
      "0-2,5",
      "--scratch",
      scratch,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { task: number; scratchBytes: number });
    expect(lines.map((l) => l.task)).toEqual([0, 1, 2, 5]);
    for (const l of lines) expect(l.scratchBytes).toBeGreaterThan(0);
    const files = await leftIn(scratch);
    expect(files.filter((f) => f.endsWith(".tile"))).toHaveLength(4);
    expect(files.filter((f) => f.endsWith(".part"))).toEqual([]);
  });

  it("exits 3 when an input tile is in no scratch, naming the task that made it (the operator redoes it)", async () => {
    const scratch = join(scene.dir, "empty");
    const smoothTask = "6"; // the first smooth tile reads NDVI tiles nobody has made in this scratch
    const r = await worker([
      "--chain",
      chain,
      "--lanes",
      "1",
      "--lane",
      "0",
      "--tasks",
      smoothTask,
      "--scratch",
      scratch,
    ]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /task 6 \(smooth, tile \d+,\d+\): scratch tile ndvi\/\d+_\d+\.tile of task [0-5] is missing/,
    );
  });

  it("exits 2 on bad input: a source that does not exist, a malformed task list", async () => {
    const missing = await writeChain(
      scene.dir,
      "missing.yaml",
      ndviChain(
        pathToFileURL(join(scene.dir, "nope.tif")).href,
        pathToFileURL(join(scene.dir, "o.tif")).href,
      ),
    );
    const a = await worker([
      "--chain",
      missing,
      "--lanes",
      "1",
      "--lane",
      "0",
      "--tasks",
      "0",
      "--scratch",
      scene.dir,
    ]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/nope\.tif/);
    const b = await worker([
      "--chain",
      chain,
      "--lanes",
      "1",
      "--lane",
      "0",
      "--tasks",
      "1,x",
      "--scratch",
      scene.dir,
    ]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--tasks: 'x' is not a task id or range/);
  });
});
