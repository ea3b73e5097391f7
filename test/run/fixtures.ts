import { mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { stringify } from "yaml";
import { writeSceneCog } from "../../scripts/lib/write-scene.ts";

export interface Scene {
  readonly dir: string;
  readonly path: string;
  readonly uri: string;
}

/** A generated 4-band UInt16 scene (nodata 0) as a COG with 256-pixel tiles, in a fresh directory. */
export async function makeScene(width: number, height: number, seed = 7): Promise<Scene> {
  const dir = await mkdtemp(join(tmpdir(), "imagechain-run-"));
  const path = join(dir, "scene.tif");
  const uri = pathToFileURL(path).href;
  await writeSceneCog({ width, height, seed }, uri, { tileSize: 256 });
  return { dir, path, uri };
}

export const NDVI = "(im.b4 - im.b3) / (im.b4 + im.b3)";

/** The NDVI-then-gaussian chain of examples/ndvi.yaml, on `source`, writing `output`. */
export function ndviChain(
  source: string,
  output: string,
  extra: { tileSize?: number; tasksPerPod?: number } = {},
) {
  return {
    apiVersion: "imagechain.io/v1alpha1",
    kind: "ImageChain",
    metadata: { name: "ndvi" },
    spec: {
      sources: { scene: { uri: source } },
      steps: [
        { name: "ndvi", op: "bandmath", inputs: { im: "scene" }, params: { expression: NDVI } },
        {
          name: "smooth",
          op: "convolve",
          inputs: { im: "ndvi" },
          params: { kernel: { gaussian: { sigma: 1.5 } }, border: "reflect" },
        },
      ],
      outputs: [{ step: "smooth", uri: output }],
      tiling: { tileSize: extra.tileSize ?? 128 },
      execution: { tasksPerPod: extra.tasksPerPod ?? 64, retries: { limit: 3, backoffSeconds: 0.1 } },
    },
  };
}

export async function writeChain(dir: string, name: string, doc: unknown): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, typeof doc === "string" ? doc : stringify(doc));
  return file;
}

/** Everything left under a directory (recursively), for "nothing left behind" checks. */
export async function leftIn(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String);
}
