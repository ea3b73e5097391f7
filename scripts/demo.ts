/**
 * `npm run demo`: generate a deterministic Sentinel-2-like scene, write it as a COG with imagechain's own writer,
 * then describe it with `imagechain info`. (The chain engine will run examples/ndvi.yaml on it once it exists.)
 */
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { writeSceneCog } from "./lib/write-scene.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, ".work", "demo");
mkdirSync(outDir, { recursive: true });
const scenePath = join(outDir, "scene-T31TCJ.tif");

const spec = { width: 3000, height: 3000, seed: 2026 };
const started = performance.now();
const bytes = await writeSceneCog(spec, pathToFileURL(scenePath).href);
const seconds = (performance.now() - started) / 1000;
console.log(
  `generated a ${spec.width}x${spec.height} 4-band UInt16 scene (B02 B03 B04 B08, EPSG:32631) as a COG: ` +
    `${scenePath} (${(bytes / 2 ** 20).toFixed(1)} MiB, ${seconds.toFixed(1)} s)\n`,
);
const info = spawnSync(process.execPath, [join(root, "operator/cli/main.ts"), "info", scenePath], {
  stdio: "inherit",
});
process.exitCode = info.status ?? 1;
