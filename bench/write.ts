/**
 * COG write benchmark: a generated 4096x4096 4-band UInt16 scene → deflate COG (predictor 2, 512 tiles,
 * average overviews), against `gdal_translate -of COG` on the same pixels (given to GDAL as raw ENVI).
 * Run: node bench/write.ts   (no assertions; prints time, Mpx/s, CPU use, peak RSS and the ratio)
 */

import { mkdtemp, open, rm, stat, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import type { Block } from "../worker/io/raster.ts";
import { openSink } from "../worker/io/sink/open.ts";
import { createCogWriter } from "../worker/io/tiff/cog-writer.ts";
import { gdalCogArgs, measureCommand, onPath } from "./lib/measure.ts";

const SIZE = 4096;
const TILE = 512;
const BANDS = 4;
const TILES = SIZE / TILE;

// Land-cover signatures (reflectance × 10 000) for water, vegetation, soil, urban.
const SIGNATURES = [
  [620, 540, 330, 160],
  [330, 640, 290, 3900],
  [930, 1240, 1560, 2250],
  [1250, 1330, 1420, 1750],
];

function hash(x: number, y: number): number {
  let h = Math.imul(x, 0x27d4eb2d) ^ Math.imul(y, 0x165667b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  return ((h ^ (h >>> 13)) >>> 0) / 4294967296;
}

/** Parcels of 48..80 px with their own cover and vigour, a smooth gradient and sensor noise. */
function sceneTile(tx: number, ty: number): Block {
  const bands = Array.from({ length: BANDS }, () => new Uint16Array(TILE * TILE));
  for (let y = 0; y < TILE; y++) {
    const gy = ty * TILE + y;
    for (let x = 0; x < TILE; x++) {
      const gx = tx * TILE + x;
      const px = Math.floor((gx + 13 * Math.sin(gy / 97)) / 64);
      const py = Math.floor((gy + 11 * Math.sin(gx / 89)) / 64);
      const parcel = hash(px, py);
      const cover = SIGNATURES[Math.floor(parcel * 4)]!;
      const vigour = 0.8 + 0.4 * hash(py, px);
      const gradient = 1 + 0.1 * Math.sin((gx + gy) / 700);
      const noise = hash(gx, gy) * 40 - 20;
      for (let b = 0; b < BANDS; b++)
        bands[b]![y * TILE + x] = Math.round(cover[b]! * vigour * gradient + noise);
    }
  }
  return { width: TILE, height: TILE, dataType: "uint16", bands };
}

const dir = await mkdtemp(join(tmpdir(), "bench-write-"));
try {
  let started = performance.now();
  for (let ty = 0; ty < TILES; ty++) for (let tx = 0; tx < TILES; tx++) sceneTile(tx, ty);
  const generation = (performance.now() - started) / 1000;

  const out = join(dir, "ours.tif");
  const cpu0 = process.cpuUsage();
  started = performance.now();
  const writer = await createCogWriter({
    width: SIZE,
    height: SIZE,
    bandCount: BANDS,
    dataType: "uint16",
    tileSize: TILE,
    compression: "deflate",
    crs: { epsg: 32631, wkt: null },
    geoTransform: [300000, 10, 0, 4900020, 0, -10],
    nodata: null,
    overviews: "auto",
    resampling: "average",
  });
  for (let ty = 0; ty < TILES; ty++)
    for (let tx = 0; tx < TILES; tx++) await writer.addTile(tx, ty, sceneTile(tx, ty));
  const { bytes } = await writer.finish(await openSink(out));
  const total = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const peakRss = process.resourceUsage().maxRSS / 1024;

  // GDAL's input: the same pixels, band-sequential raw with an ENVI header, written a tile row at a time.
  const raw = join(dir, "scene.raw");
  const fh = await open(raw, "w");
  for (let ty = 0; ty < TILES; ty++) {
    const strip = Array.from({ length: BANDS }, () => new Uint16Array(TILE * SIZE));
    for (let tx = 0; tx < TILES; tx++) {
      const tile = sceneTile(tx, ty);
      for (let b = 0; b < BANDS; b++) {
        for (let y = 0; y < TILE; y++) {
          strip[b]!.set(tile.bands[b]!.subarray(y * TILE, (y + 1) * TILE), y * SIZE + tx * TILE);
        }
      }
    }
    for (let b = 0; b < BANDS; b++)
      await fh.write(strip[b]!, 0, strip[b]!.byteLength, (b * SIZE + ty * TILE) * SIZE * 2);
  }
  await fh.close();
  await writeFile(
    join(dir, "scene.hdr"),
    `ENVI\nsamples = ${SIZE}\nlines = ${SIZE}\nbands = ${BANDS}\nheader offset = 0\nfile type = ENVI Standard\n` +
      `data type = 12\ninterleave = bsq\nbyte order = 0\n`,
  );
  let gdal: number | null = null;
  let gdalCpu = NaN;
  let gdalBytes = 0;
  if (onPath("gdal_translate")) {
    const ref = join(dir, "gdal.tif");
    const measured = measureCommand("gdal_translate", gdalCogArgs(raw, ref, 512));
    gdal = measured.seconds;
    gdalCpu = measured.cpuSeconds ?? NaN;
    gdalBytes = (await stat(ref)).size;
  }

  const mpx = (SIZE * SIZE) / 1e6;
  const lines = [
    `COG write, ${SIZE}x${SIZE}x${BANDS} uint16, deflate level 6 + predictor 2, ${TILE} tiles, average overviews, ${cpus().length} CPUs`,
    `  imagechain: ${total.toFixed(2)} s (${(mpx / total).toFixed(1)} Mpx/s), ${(bytes / 2 ** 20).toFixed(1)} MiB, ` +
      `CPU ${cpuSeconds.toFixed(2)} s (${(cpuSeconds / total).toFixed(2)} cores busy), peak RSS ${peakRss.toFixed(0)} MiB`,
    `  of which pixel generation: ${generation.toFixed(2)} s; without it ${(total - generation).toFixed(2)} s ` +
      `(${(mpx / (total - generation)).toFixed(1)} Mpx/s)`,
    gdal === null
      ? "  gdal_translate: not available"
      : `  gdal_translate -of COG: ${gdal.toFixed(2)} s (${(mpx / gdal).toFixed(1)} Mpx/s), ` +
        `${(gdalBytes / 2 ** 20).toFixed(1)} MiB, CPU ${gdalCpu.toFixed(2)} s; imagechain/GDAL ratio: ` +
        `time ${((total - generation) / gdal).toFixed(2)}, CPU ${((cpuSeconds - generation) / gdalCpu).toFixed(2)}`,
  ];
  console.log(lines.join("\n"));
} finally {
  await rm(dir, { recursive: true, force: true });
}
