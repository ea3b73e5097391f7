/**
 * `npm run bench:io`: decode a generated 4096² 4-band UInt16 deflate COG (tiles 512) and write it back as a COG.
 * Prints read and write throughput, the whole `imagechain cog` conversion against `gdal_translate -of COG` on the
 * same file in the same run (median of 3): wall and CPU time, their ratios, peak RSS and the output sizes
 * (imagechain's default deflate level against GDAL's default, DEFLATE with ZLEVEL 6).
 */
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Block } from "../worker/io/raster.ts";
import { cropBlock } from "../worker/io/raster.ts";
import { openSink } from "../worker/io/sink/open.ts";
import { createCogWriter } from "../worker/io/tiff/cog-writer.ts";
import { openRaster } from "../worker/io/tiff/reader.ts";
import { writeSceneCog } from "../scripts/lib/write-scene.ts";
import { gdalCogArgs, type Measured, measureCommand, onPath, repeat } from "./lib/measure.ts";

const SIZE = 4096;
const TILE = 512;
const RUNS = 3;
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dir = join(root, ".work", "bench-io");
mkdirSync(dir, { recursive: true });
const input = join(dir, `scene-${SIZE}.tif`);
const mpx = (SIZE * SIZE) / 1e6;

if (!existsSync(input)) {
  console.log(`generating ${input} …`);
  await writeSceneCog({ width: SIZE, height: SIZE, seed: 1 }, pathToFileURL(input).href, { tileSize: TILE });
}

async function readAll(): Promise<Block[]> {
  const raster = await openRaster(pathToFileURL(input).href);
  try {
    const rows: Promise<Block>[] = [];
    for (let y = 0; y < SIZE; y += TILE) rows.push(raster.readWindow({ x: 0, y, width: SIZE, height: TILE }));
    return await Promise.all(rows);
  } finally {
    await raster.close();
  }
}

async function writeAll(rows: readonly Block[], out: string): Promise<void> {
  const source = await openRaster(pathToFileURL(input).href);
  const { info } = source;
  await source.close();
  const writer = await createCogWriter({
    width: SIZE,
    height: SIZE,
    bandCount: info.bandCount,
    dataType: info.dataType,
    tileSize: TILE,
    compression: "deflate",
    crs: info.crs,
    geoTransform: info.geoTransform,
    nodata: info.nodata,
    overviews: "auto",
    resampling: "average",
  });
  const adds: Promise<void>[] = [];
  rows.forEach((row, ty) => {
    for (let tx = 0; tx < SIZE / TILE; tx++)
      adds.push(writer.addTile(tx, ty, cropBlock(row, tx * TILE, 0, TILE, TILE)));
  });
  await Promise.all(adds);
  await writer.finish(await openSink(pathToFileURL(out).href));
}

function time<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const started = performance.now();
  return fn().then((value) => ({ seconds: (performance.now() - started) / 1000, value }));
}

const reads = [];
let rows: Block[] = [];
for (let i = 0; i < RUNS; i++) {
  const r = await time(readAll);
  reads.push(r.seconds);
  rows = r.value;
}
const writes = [];
for (let i = 0; i < RUNS; i++)
  writes.push((await time(() => writeAll(rows, join(dir, "written.tif")))).seconds);
rows = [];
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const ours = join(dir, "ours.tif");
const cli = join(root, "operator/cli/main.ts");
const convert = repeat(RUNS, () => measureCommand(process.execPath, [cli, "cog", input, ours]));

console.log(
  `\nimagechain bench:io — ${SIZE}x${SIZE} 4-band uint16 deflate COG, tiles ${TILE}, ${availableParallelism()} cores`,
);
console.log(
  `  read  (decode, in process)   ${med(reads).toFixed(2)} s   ${(mpx / med(reads)).toFixed(1)} Mpx/s`,
);
console.log(
  `  write (encode + overviews)   ${med(writes).toFixed(2)} s   ${(mpx / med(writes)).toFixed(1)} Mpx/s`,
);
const describe = (m: Measured, file: string) =>
  `${m.seconds.toFixed(2)} s   ${(mpx / m.seconds).toFixed(1)} Mpx/s   CPU ${m.cpuSeconds?.toFixed(2) ?? "n/a"} s   ` +
  `peak RSS ${m.peakRssMiB?.toFixed(0) ?? "n/a"} MiB   ${(statSync(file).size / 1e6).toFixed(2)} MB`;
console.log(`  imagechain cog (read+write)  ${describe(convert, ours)}`);
if (onPath("gdal_translate")) {
  const gdalOut = join(dir, "gdal.tif");
  const gdal = repeat(RUNS, () => {
    rmSync(gdalOut, { force: true });
    return measureCommand("gdal_translate", gdalCogArgs(input, gdalOut, TILE));
  });
  console.log(`  gdal_translate -of COG       ${describe(gdal, gdalOut)}`);
  const cpuRatio =
    convert.cpuSeconds && gdal.cpuSeconds
      ? `, CPU ${(convert.cpuSeconds / gdal.cpuSeconds).toFixed(2)}x`
      : "";
  console.log(
    `  ratio imagechain / GDAL      time ${(convert.seconds / gdal.seconds).toFixed(2)}x (target ≤ 1.0)${cpuRatio}`,
  );
} else {
  console.log("  gdal_translate not on PATH: no GDAL comparison");
}
