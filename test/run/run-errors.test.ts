/**
 * Bad input to `imagechain run`: exit 2, one message that names the field / file / tile, no output object,
 * nothing left in the work directory.
 */
import { copyFile, mkdir, open, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRaster } from "../../worker/io/tiff/reader.ts";
import { imagechain } from "../helpers/cli.ts";
import { leftIn, makeScene, ndviChain, writeChain, type Scene } from "./fixtures.ts";

let scene: Scene;
beforeAll(async () => {
  scene = await makeScene(300, 200);
});
afterAll(() => rm(scene.dir, { recursive: true, force: true }));

async function expectRefused(name: string, chain: unknown, message: RegExp): Promise<void> {
  const file = await writeChain(scene.dir, `${name}.yaml`, chain);
  const work = join(scene.dir, `work-${name}`);
  await mkdir(work);
  const r = await imagechain(["run", file, "--workers", "2", "--workdir", work]);
  const messages = r.stderr.split("\n").filter((l) => l.startsWith("imagechain:"));
  expect(messages).toHaveLength(1);
  expect(r.stderr).toMatch(message);
  expect(r.code).toBe(2);
  await expect(stat(join(scene.dir, `${name}.tif`))).rejects.toThrow(/ENOENT/);
  expect(await leftIn(work)).toEqual([]);
}

const output = (name: string) => pathToFileURL(join(scene.dir, `${name}.tif`)).href;

describe("imagechain run refuses bad input", () => {
  it("malformed YAML", async () => {
    await expectRefused("yaml", "spec:\n  sources: { scene: [\n", /yaml\.yaml: not valid YAML/);
  });

  it("an unknown op, named by its field", async () => {
    const chain = ndviChain(scene.uri, output("op"));
    (chain.spec.steps[1] as { op: string }).op = "sharpen";
    await expectRefused("op", chain, /spec\.steps\[1\]\.op/);
  });

  it("an expression with a missing band", async () => {
    const chain = ndviChain(scene.uri, output("band"));
    chain.spec.steps[0]!.params = { expression: "im.b5 - im.b3" } as never;
    await expectRefused(
      "band",
      chain,
      /spec\.steps\[0\]\.params\.expression: im\.b5 does not exist: 'im' has 4 bands/,
    );
  });

  it("a source that does not exist", async () => {
    await expectRefused(
      "missing",
      ndviChain(pathToFileURL(join(scene.dir, "nope.tif")).href, output("missing")),
      /nope\.tif/,
    );
  });

  it("a corrupt source tile, named with the source and the tile", async () => {
    const damaged = join(scene.dir, "damaged.tif");
    await copyFile(scene.path, damaged);
    const r = await openRaster(damaged);
    const { width } = r.info;
    await r.close();
    expect(width).toBe(300);
    // Overwrite the middle of the file (full-resolution tile data: overviews come first in a COG).
    const size = (await stat(damaged)).size;
    const fh = await open(damaged, "r+");
    await fh.write(Buffer.alloc(4096, 0x5a), 0, 4096, Math.floor(size * 0.7));
    await fh.close();
    await expectRefused(
      "corrupt",
      ndviChain(pathToFileURL(damaged).href, output("corrupt")),
      /imagechain: task \d+ \(ndvi, tile \d+,\d+\): file:\/\/.*damaged\.tif: block \d+ does not decode/,
    );
  });
});
