/**
 * Read benchmark: a 4096² 4-band UInt16 Deflate COG (512² tiles) read in full by
 *   1. imagechain's reader (node:zlib on the thread pool, typed-array assembly),
 *   2. the same with UV_THREADPOOL_SIZE=1 (to show what parallel decoding buys),
 *   3. geotiff.js readRasters with its default pure-JS inflate (once: it is slow),
 *   4. `gdal_translate -of ENVI` (GDAL's read + raw write), for scale.
 * Usage: node bench/read.ts [--keep]    (needs GDAL's Python and gdal_translate)
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { fromFile } from "geotiff";
import { openRaster } from "../worker/io/tiff/reader.ts";
import { measureCommand } from "./lib/measure.ts";

const SIZE = 4096;
const dir = join(import.meta.dirname, "..", ".work", "bench-read");
const cog = join(dir, "scene-4096-u16-deflate.tif");
const mpx = (SIZE * SIZE) / 1e6;

const GENERATE = `
import sys, numpy as np
from osgeo import gdal
gdal.UseExceptions()
n = ${SIZE}
rng = np.random.default_rng(42)
y, x = np.mgrid[0:n, 0:n].astype(np.float32) / n
mem = gdal.GetDriverByName('MEM').Create('', n, n, 4, gdal.GDT_UInt16)
for b in range(4):
    # Fields at several scales plus sensor-like noise, in a reflectance-like 0..10000 range.
    v = (np.sin(x * 9 + b) * np.cos(y * 7 - b) * 1500 + np.sin(x * 61 + y * 47) * 400
         + np.sin((x + y * 0.3) * 413) * 120 + 3000 + b * 500)
    v += rng.normal(0, 25, (n, n)).astype(np.float32)
    mem.GetRasterBand(b + 1).WriteArray(np.clip(v, 0, 10000).astype(np.uint16))
gdal.GetDriverByName('COG').CreateCopy(sys.argv[1], mem,
    options=['COMPRESS=DEFLATE', 'PREDICTOR=2', 'BLOCKSIZE=512', 'OVERVIEWS=NONE'])
`;

async function timeOurs(): Promise<{ wall: number; cpu: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const reader = await openRaster(cog);
  const block = await reader.readWindow({ x: 0, y: 0, width: SIZE, height: SIZE });
  await reader.close();
  if (block.bands.length !== 4) throw new Error("short read");
  const cpu = process.cpuUsage(cpu0); // the whole process: main thread and the thread pool
  return { wall: (performance.now() - t0) / 1000, cpu: (cpu.user + cpu.system) / 1e6 };
}

async function child(): Promise<void> {
  let best = { wall: Infinity, cpu: Infinity };
  for (let i = 0; i < 3; i++) {
    const run = await timeOurs();
    if (run.wall < best.wall) best = run;
  }
  process.stdout.write(JSON.stringify({ best: best.wall, cpu: best.cpu, rss: process.memoryUsage().rss }));
}

async function main(): Promise<void> {
  mkdirSync(dir, { recursive: true });
  if (!existsSync(cog)) execFileSync("/usr/bin/python3", ["-c", GENERATE, cog], { stdio: "inherit" });
  console.log(`file: ${cog} (${(statSync(cog).size / 1e6).toFixed(1)} MB, ${mpx.toFixed(1)} Mpx x 4 bands)`);

  const runChild = (threads?: number) => {
    const env = { ...process.env, ...(threads ? { UV_THREADPOOL_SIZE: String(threads) } : {}) };
    const out = spawnSync(process.execPath, [import.meta.filename, "--child"], { env, encoding: "utf8" });
    if (out.status !== 0) throw new Error(out.stderr);
    return JSON.parse(out.stdout) as { best: number; cpu: number; rss: number };
  };
  const ours = runChild();
  const serial = runChild(1);
  const line = (name: string, s: number, extra = "") =>
    console.log(
      `${name.padEnd(44)} ${s.toFixed(3).padStart(7)} s  ${(mpx / s).toFixed(1).padStart(6)} Mpx/s ${extra}`,
    );
  line(
    "imagechain reader (best of 3)",
    ours.best,
    `CPU ${ours.cpu.toFixed(2)} s, peak RSS ${(ours.rss / 2 ** 20).toFixed(0)} MiB`,
  );
  line("imagechain reader, UV_THREADPOOL_SIZE=1", serial.best);

  const t0 = performance.now();
  const tiff = await fromFile(cog);
  await (await tiff.getImage()).readRasters();
  const geotiffjs = (performance.now() - t0) / 1000;
  line("geotiff.js readRasters (pure-JS inflate)", geotiffjs);

  const envi = join(dir, "out.envi");
  const measured = measureCommand("gdal_translate", ["-q", "-of", "ENVI", cog, envi]);
  const gdal = measured.seconds;
  const gdalCpu = measured.cpuSeconds ?? Number.NaN;
  line("gdal_translate -of ENVI (read + raw write)", gdal, `CPU ${gdalCpu.toFixed(2)} s`);
  rmSync(envi, { force: true });
  rmSync(`${envi.replace(/\.envi$/, "")}.hdr`, { force: true });
  rmSync(`${envi}.aux.xml`, { force: true });
  console.log(
    `imagechain / GDAL: time ${(ours.best / gdal).toFixed(2)}x, CPU ${(ours.cpu / gdalCpu).toFixed(2)}x; ` +
      `geotiff.js / imagechain: ${(geotiffjs / ours.best).toFixed(1)}x; ` +
      `parallel speed-up (thread pool 4 vs 1): ${(serial.best / ours.best).toFixed(2)}x`,
  );
  if (!process.argv.includes("--keep")) rmSync(dir, { recursive: true, force: true });
}

await (process.argv.includes("--child") ? child() : main());
