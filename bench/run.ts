/**
 * `npm run bench:run`: the NDVI chain (examples/ndvi.yaml: NDVI then a gaussian, sigma 1.5) and NDVI alone with
 * `imagechain run --workers 2` on a generated 4096² 4-band UInt16 deflate COG, against `gdal_calc.py` computing the
 * same NDVI on the same file in the same run (median of 3). gdal_calc writes a tiled deflate GTiff without
 * overviews (and, in a second row, its default uncompressed GTiff); imagechain writes a COG with overviews.
 * Last, what node:zlib's inflating and deflating alone take on the same tiles (lib/codec-floor.ts): no engine
 * built on node:zlib runs this chain faster.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parse, stringify } from "yaml";
import { writeSceneCog } from "../scripts/lib/write-scene.ts";
import { DEFAULT_DEFLATE_LEVEL } from "../worker/io/tiff/cog-spec.ts";
import { codecFloor } from "./lib/codec-floor.ts";
import { type Measured, measureCommand, onPath, repeat } from "./lib/measure.ts";

const SIZE = 4096;
const RUNS = 3;
const WORKERS = 2;
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dir = join(root, ".work", "bench-run");
mkdirSync(dir, { recursive: true });
const input = join(dir, `scene-${SIZE}.tif`);
const mpx = (SIZE * SIZE) / 1e6;

if (!existsSync(input)) {
  console.log(`generating ${input} …`);
  await writeSceneCog({ width: SIZE, height: SIZE, seed: 1 }, pathToFileURL(input).href);
}

/** examples/ndvi.yaml on the bench scene, optionally without its smoothing step. */
function chainFile(name: string, smooth: boolean): string {
  const doc = parse(readFileSync(join(root, "examples/ndvi.yaml"), "utf8"));
  doc.spec.sources.scene.uri = pathToFileURL(input).href;
  if (!smooth) doc.spec.steps = doc.spec.steps.filter((s: { name: string }) => s.name === "ndvi");
  doc.spec.outputs[0].step = smooth ? "smooth" : "ndvi";
  doc.spec.outputs[0].uri = pathToFileURL(join(dir, `${name}.tif`)).href;
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify(doc));
  return file;
}

const node = join(root, "node_modules/.bin/node");
const cli = join(root, "operator/cli/main.ts");
const ours = (file: string) => () =>
  measureCommand(node, [cli, "run", file, "--workers", String(WORKERS), "--workdir", dir]);

const gdalCalc = (options: string[]) => () => {
  const out = join(dir, "gdal-calc.tif");
  rmSync(out, { force: true });
  return measureCommand("gdal_calc.py", [
    "--quiet",
    ...["-A", input, "--A_band=3", "-B", input, "--B_band=4"],
    "--calc=(B.astype(numpy.float64) - A) / (B.astype(numpy.float64) + A)",
    "--type=Float32",
    ...options.flatMap((o) => ["--co", o]),
    `--outfile=${out}`,
  ]);
};

function row(label: string, m: Measured, reference?: Measured): string {
  const cpu = m.cpuSeconds === null ? "" : `  CPU ${m.cpuSeconds.toFixed(2)} s`;
  const rss = m.peakRssMiB === null ? "" : `  peak RSS ${m.peakRssMiB.toFixed(0)} MiB`;
  const ratio = reference ? `  ${(m.seconds / reference.seconds).toFixed(2)}x gdal_calc` : "";
  return `${label.padEnd(42)} ${m.seconds.toFixed(2)} s  ${(mpx / m.seconds).toFixed(1)} Mpx/s${cpu}${rss}${ratio}`;
}

const ndviOnly = repeat(RUNS, ours(chainFile("ndvi", false)));
const ndviSmooth = repeat(RUNS, ours(chainFile("ndvi-smooth", true)));
console.log(`NDVI of a ${SIZE}x${SIZE} 4-band UInt16 deflate COG, ${WORKERS} workers, median of ${RUNS}`);
let calc: { deflate: number; plain: number } | null = null;
if (onPath("gdal_calc.py")) {
  const calcDeflate = repeat(RUNS, gdalCalc(["TILED=YES", "COMPRESS=DEFLATE", "PREDICTOR=3"]));
  const calcPlain = repeat(RUNS, gdalCalc([]));
  calc = { deflate: calcDeflate.seconds, plain: calcPlain.seconds };
  console.log(row("gdal_calc.py → tiled deflate GTiff", calcDeflate));
  console.log(row("gdal_calc.py → default GTiff (uncompressed)", calcPlain));
  console.log(row("imagechain run: NDVI → deflate COG", ndviOnly, calcDeflate));
  console.log(row("imagechain run: NDVI + gaussian → deflate COG", ndviSmooth, calcDeflate));
  console.log(
    `vs the uncompressed gdal_calc: NDVI ${(ndviOnly.seconds / calcPlain.seconds).toFixed(2)}x, ` +
      `NDVI + gaussian ${(ndviSmooth.seconds / calcPlain.seconds).toFixed(2)}x (target ≤ 0.5x)`,
  );
} else {
  console.log(row("imagechain run: NDVI → deflate COG", ndviOnly));
  console.log(row("imagechain run: NDVI + gaussian → deflate COG", ndviSmooth));
  console.log("gdal_calc.py not found: install gdal-bin and python3-gdal for the comparison");
}
console.log("peak RSS is the largest single process (executor or one worker), as GNU time reports it");

// What node:zlib alone costs on this data, whatever the engine around it.
const floor = await codecFloor(
  pathToFileURL(input).href,
  pathToFileURL(join(dir, "ndvi.tif")).href,
  DEFAULT_DEFLATE_LEVEL,
);
const floorSeconds = floor.readSeconds + floor.writeSeconds;
console.log(
  `node:zlib alone, one process on ${WORKERS} cores: inflating the source's ${floor.tilesRead} tiles ` +
    `${floor.readSeconds.toFixed(2)} s + deflating the NDVI COG's ${floor.tilesWritten} tiles ` +
    `${floor.writeSeconds.toFixed(2)} s = ${floorSeconds.toFixed(2)} s` +
    (calc === null
      ? ""
      : `: ${(floorSeconds / calc.deflate).toFixed(2)}x the deflate gdal_calc, ${(floorSeconds / calc.plain).toFixed(2)}x the uncompressed one`),
);
