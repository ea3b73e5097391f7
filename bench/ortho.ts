/**
 * `npm run bench:ortho`: orthorectification of a generated 4096² 4-band UInt16 scene (tiled deflate GTiff
 * carrying an RPC model, ~3.2 m pixels near Toulouse) over a generated WGS 84 DEM, to UTM 31N at 3 m,
 * bilinear, maxError 0.125 px: `imagechain run --workers 2` against `gdalwarp -rpc -to RPC_DEM=…
 * -wo NUM_THREADS=2 -multi` on the same grid in the same run. Both write a deflate COG with overviews.
 * With RPC_DEM, gdalwarp's default is an exact transform at every pixel (-et 0), so the error statistics
 * of ours versus GDAL's (pixels ≥ 2 px away from nodata in either) measure our approximation.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { stringify } from "yaml";
import { gdalinfoJson, readWithGdal } from "../test/helpers/gdal.ts";
import { diffStats } from "../test/ops/warp/compare.ts";
import { syntheticRpc, writeDem, writeRpcImage } from "../test/ops/warp/rpc-fixtures.ts";
import { type Measured, measureCommand, repeat } from "./lib/measure.ts";

const SIZE = 4096;
const WORKERS = 2;
/** Median of this many runs of each command (BENCH_RUNS): the machine may be shared. */
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const RESOLUTION = 3;
/** ortho's maxError (px); `MAX_ERROR=0.01 npm run bench:ortho` shows the cost of a tighter approximation. */
const MAX_ERROR = Number(process.env.MAX_ERROR ?? 0.125);
/**
 * Ground extent x 9.8 of the test model: ≈ 3.2 m pixels, so that 3 m is upsampling; when downsampling,
 * gdalwarp widens its kernels (antialiasing), which ortho does not do.
 */
const GROUND_SCALE = 9.8;
/** Height terms x 0.3: a 17° off-nadir view (a 100 m hill moves 30 m, 9 px), like an agile satellite's. */
const PARALLAX = 0.3;
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dir = join(root, ".work", "bench-ortho");
mkdirSync(dir, { recursive: true });
const image = join(dir, `rpc-scene-${SIZE}-${GROUND_SCALE}-${PARALLAX}.tif`);
const dem = join(dir, "dem-4326.tif");
const rpc = syntheticRpc(SIZE, GROUND_SCALE, PARALLAX);

if (!existsSync(image) || !existsSync(dem)) {
  console.log(`generating ${image} and ${dem} …`);
  const options = [
    "TILED=YES",
    "BLOCKXSIZE=512",
    "BLOCKYSIZE=512",
    "COMPRESS=DEFLATE",
    "PREDICTOR=2",
    "ZLEVEL=1",
  ];
  await writeRpcImage(image, SIZE, 4, "uint16", rpc, options);
  // 30 m posts over the scene and a margin (the model's ground extent is ±0.059° x ±0.078°)
  await writeDem(dem, 4326, [1.44 - 0.1, 43.6 + 0.08], 0.0003, 670, 535);
}

const ours = join(dir, "ortho-imagechain.tif");
const chain = {
  apiVersion: "imagechain.io/v1alpha1",
  kind: "ImageChain",
  metadata: { name: "bench-ortho" },
  spec: {
    sources: { scene: { uri: pathToFileURL(image).href }, dem: { uri: pathToFileURL(dem).href } },
    steps: [
      {
        name: "ortho",
        op: "ortho",
        inputs: { image: "scene", dem: "dem" },
        params: { crs: "EPSG:32631", resolution: RESOLUTION, resampling: "bilinear", maxError: MAX_ERROR },
      },
    ],
    outputs: [{ step: "ortho", uri: pathToFileURL(ours).href, format: "cog", compression: "deflate" }],
    tiling: { tileSize: 512 },
  },
};
const chainFile = join(dir, "ortho.yaml");
writeFileSync(chainFile, stringify(chain));

const node = join(root, "node_modules/.bin/node");
const cli = join(root, "operator/cli/main.ts");
const mine = repeat(RUNS, () => {
  rmSync(ours, { force: true });
  return measureCommand(node, [cli, "run", chainFile, "--workers", String(WORKERS), "--workdir", dir]);
});

// GDAL on exactly our output grid (the default grid: the image's ground footprint, snapped to 3 m)
const info = await gdalinfoJson(ours);
const gt = info.geoTransform!;
const [w, h] = info.size;
const te = [gt[0]!, gt[3]! + h * gt[5]!, gt[0]! + w * gt[1]!, gt[3]!];
const warp = (out: string, extra: readonly string[]): Measured =>
  repeat(RUNS, () => {
    rmSync(out, { force: true });
    return measureCommand("gdalwarp", [
      ...["-q", "-rpc", "-to", `RPC_DEM=${dem}`, "-r", "bilinear", "-t_srs", "EPSG:32631", ...extra],
      ...["-tr", String(RESOLUTION), String(RESOLUTION), "-te", ...te.map(String), "-dstnodata", "0"],
      ...["-wo", `NUM_THREADS=${WORKERS}`, "-multi", "-of", "COG", "-co", "COMPRESS=DEFLATE", image, out],
    ]);
  });
const theirs = join(dir, "ortho-gdalwarp.tif");
const gdal = warp(theirs, []);
// gdalwarp estimates a scale per chunk from its source window, which the parallax widens: below 0.95 it
// switches to a widened (antialiasing) kernel. XSCALE=YSCALE=1 keeps the 2x2 bilinear, as ortho does.
const theirs1 = join(dir, "ortho-gdalwarp-scale1.tif");
const gdal1 = warp(theirs1, ["-wo", "XSCALE=1", "-wo", "YSCALE=1"]);

function row(label: string, m: Measured): string {
  const cpu = m.cpuSeconds === null ? "" : `  CPU ${m.cpuSeconds.toFixed(2)} s`;
  const rss = m.peakRssMiB === null ? "" : `  peak RSS ${m.peakRssMiB.toFixed(0)} MiB`;
  return `${label.padEnd(44)} ${m.seconds.toFixed(2)} s  ${((w * h) / 1e6 / m.seconds).toFixed(1)} Mpx/s${cpu}${rss}`;
}

console.log(
  `ortho of a ${SIZE}x${SIZE} 4-band UInt16 RPC scene over a DEM → EPSG:32631 at ${RESOLUTION} m ` +
    `(${w}x${h}), bilinear, ${WORKERS} workers / threads, deflate COG, median of ${RUNS}`,
);
console.log(row("gdalwarp -rpc -wo NUM_THREADS=2 -multi", gdal));
console.log(row("  same, -wo XSCALE=1 -wo YSCALE=1", gdal1));
console.log(row(`imagechain run --workers 2 (maxError ${MAX_ERROR})`, mine));
console.log(
  `ratio imagechain / gdalwarp: ${(mine.seconds / gdal.seconds).toFixed(2)} (target ≤ 1.0); ` +
    `/ gdalwarp with XSCALE=YSCALE=1: ${(mine.seconds / gdal1.seconds).toFixed(2)}`,
);

const [a, b, c] = await Promise.all([readWithGdal(ours), readWithGdal(theirs), readWithGdal(theirs1)]);
const stats = (x: typeof a, y: typeof a, band: number): string => {
  const d = diffStats(x.bands[band]!, y.bands[band]!, w, h, 0);
  const differ = ((100 * d.differing) / d.compared).toFixed(1);
  return `mean ${d.mean.toFixed(3)} max ${d.max} (${differ} % differ, ${d.validityMismatch} valid/nodata mismatches)`;
};
console.log(
  `|diff| in DN of imagechain vs gdalwarp (exact transforms), ${a.width}x${a.height} px ≥ 2 px from nodata:`,
);
for (let band = 0; band < a.bands.length; band++) {
  console.log(`band ${band + 1}: vs default ${stats(a, b, band)}; vs XSCALE=1 ${stats(a, c, band)}`);
}
