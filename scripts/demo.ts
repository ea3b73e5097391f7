/**
 * `npm run demo`: generate a deterministic Sentinel-2-like scene as a COG, run examples/ndvi.yaml on it with
 * `imagechain run` (NDVI, then a gaussian smoothing, written as a COG with overviews), render a colour-mapped
 * quicklook PNG of the result, and say where everything is.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parse, stringify } from "yaml";
import { writeSceneCog } from "./lib/write-scene.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, ".work", "demo");
mkdirSync(outDir, { recursive: true });
const scenePath = join(outDir, "scene-T31TCJ.tif");
const outputPath = join(outDir, "ndvi.tif");
const quicklookPath = join(outDir, "ndvi.png");
const chainPath = join(outDir, "ndvi.yaml");

const imagechain = (args: string[]): void => {
  const r = spawnSync(process.execPath, [join(root, "operator/cli/main.ts"), ...args], { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

const scene = { width: 3000, height: 3000, seed: 2026 };
if (!existsSync(scenePath)) {
  const started = performance.now();
  const bytes = await writeSceneCog(scene, pathToFileURL(scenePath).href);
  console.log(
    `generated a ${scene.width}x${scene.height} 4-band UInt16 scene (B02 B03 B04 B08, EPSG:32631) as a COG: ` +
      `${scenePath} (${(bytes / 2 ** 20).toFixed(1)} MiB, ${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
}

// examples/ndvi.yaml, pointed at the generated scene and at a local output.
const chain = parse(readFileSync(join(root, "examples/ndvi.yaml"), "utf8"));
chain.spec.sources.scene.uri = pathToFileURL(scenePath).href;
chain.spec.outputs[0].uri = pathToFileURL(outputPath).href;
writeFileSync(chainPath, stringify(chain));
console.log(`\nimagechain run ${chainPath}`);
imagechain(["run", chainPath]);
imagechain(["quicklook", outputPath, quicklookPath, "--colormap", "rdylgn", "--range=-1,1"]);
console.log(
  `\nscene:     ${scenePath}\nchain:     ${chainPath}\nNDVI COG:  ${outputPath}\nquicklook: ${quicklookPath}`,
);
