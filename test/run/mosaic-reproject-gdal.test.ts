/**
 * mosaic of inputs in three CRSs (UTM 31N, WGS 84 degrees, UTM 32N), reprojected on the fly onto the
 * first one's CRS, through the local engine: the output grid is the union of the projected extents at the
 * first input's 10 m, and its pixels match gdalwarp of the same inputs onto that grid (in order for
 * `last`, reversed for `first`) within the reproject oracle's bounds. A finer input (downsampled onto the
 * grid) matches gdalwarp of it alone with the same XSCALE / YSCALE: gdalwarp of several inputs derives its
 * scale from a chunk's window in each source clipped to that source, so it antialiases only by chance there.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runChain } from "../../operator/local/executor.ts";
import { validateSpec } from "../../operator/spec/validate.ts";
import { gdalinfoJson, hasGdal, makeRasters, readWithGdal, run } from "../helpers/gdal.ts";
import type { Grid } from "../../worker/ops/grid.ts";
import { warpScale } from "../../worker/ops/warp/kernels.ts";
import { diffStats } from "../ops/warp/compare.ts";

let dir: string;
const file = (name: string) => join(dir, name);
const INPUTS = ["utm31", "lonlat", "utm32"] as const;
const CASES = [
  ["last", "bilinear"],
  ["first", "cubic"],
  ["last", "nearest"],
] as const;
const DOWN = ["bilinear", "cubic"] as const;
const FINE_GT = [3.011, 0.00008, 0, 36.1357, 0, -0.00008] as const;
const stepName = (method: string, resampling: string) => `${method}-${resampling}`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "imagechain-mosaic-crs-"));
  if (!hasGdal && !process.env.CI) return;
  const common = { bands: 1, dataType: "uint16", nodata: 0 } as const;
  await makeRasters([
    {
      ...common,
      path: file("utm31.tif"),
      width: 200,
      height: 150,
      seed: 1,
      epsg: 32631,
      geoTransform: [500000, 10, 0, 4000000, 0, -10],
    },
    // ≈ 11 m pixels, south-east of the first: upsampled (gdalwarp widens its kernels below ~1:1.05)
    {
      ...common,
      path: file("lonlat.tif"),
      width: 150,
      height: 130,
      seed: 2,
      epsg: 4326,
      geoTransform: [3.011, 0.00012, 0, 36.1357, 0, -0.0001],
    },
    // 6° west of its zone's meridian: the grid turns by about 3.5° against the first's
    {
      ...common,
      path: file("utm32.tif"),
      width: 150,
      height: 150,
      seed: 3,
      epsg: 32632,
      geoTransform: [-39000, 11, 0, 4016500, 0, -11],
    },
    // ≈ 7 x 9 m pixels: downsampled onto the 10 m grid, with kernels stretched as gdalwarp's
    {
      ...common,
      path: file("fine.tif"),
      width: 220,
      height: 160,
      seed: 4,
      epsg: 4326,
      geoTransform: FINE_GT,
    },
  ]);
  const checked = validateSpec({
    sources: {
      ...Object.fromEntries(INPUTS.map((n) => [n, { uri: pathToFileURL(file(`${n}.tif`)).href }])),
      fine: { uri: pathToFileURL(file("fine.tif")).href },
    },
    steps: [
      ...CASES.map(([method, resampling]) => ({
        name: stepName(method, resampling),
        op: "mosaic",
        inputs: Object.fromEntries(INPUTS.map((n) => [n, n])),
        params: { method, resampling, maxError: 0.001 },
      })),
      ...DOWN.map((resampling) => ({
        name: `down-${resampling}`,
        op: "mosaic",
        inputs: { utm31: "utm31", fine: "fine" },
        params: { method: "last", resampling, maxError: 0.001 },
      })),
    ],
    outputs: [
      ...CASES.map(([m, r]) => ({
        step: stepName(m, r),
        uri: pathToFileURL(file(`${stepName(m, r)}.tif`)).href,
      })),
      ...DOWN.map((r) => ({ step: `down-${r}`, uri: pathToFileURL(file(`down-${r}.tif`)).href })),
    ],
    tiling: { tileSize: 64 },
  });
  if (!checked.ok) throw new Error(JSON.stringify(checked.issues));
  await runChain(checked.value, { workers: 2, workdir: dir });
}, 120_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe.skipIf(!hasGdal && !process.env.CI)("mosaic across CRSs against gdalwarp", () => {
  it("the output grid: the union of the projected extents at the first input's resolution", async () => {
    const info = await gdalinfoJson(file("last-bilinear.tif"));
    expect(info.stac?.["proj:epsg"]).toBe(32631);
    const [x0, rx, , y0, , ry] = info.geoTransform!;
    expect([rx, ry]).toEqual([10, -10]);
    // corners of the three inputs projected by GDAL: the union's bounds
    const corners = async (name: string, epsg: number, gt: readonly number[], w: number, h: number) => {
      const pts = [0, w].flatMap((c) => [0, h].map((r) => `${gt[0]! + c * gt[1]!} ${gt[3]! + r * gt[5]!}`));
      const out = await run(
        "gdaltransform",
        ["-s_srs", `EPSG:${epsg}`, "-t_srs", "EPSG:32631"],
        pts.join("\n"),
      );
      return out.stdout
        .toString()
        .trim()
        .split("\n")
        .map((l) => l.split(" ").map(Number) as [number, number]);
    };
    const all = [
      ...(await corners("utm31", 32631, [500000, 10, 0, 4000000, 0, -10], 200, 150)),
      ...(await corners("lonlat", 4326, [3.011, 0.00012, 0, 36.1357, 0, -0.0001], 150, 130)),
      ...(await corners("utm32", 32632, [-39000, 11, 0, 4016500, 0, -11], 150, 150)),
    ];
    const xmin = Math.min(...all.map((p) => p[0]));
    const xmax = Math.max(...all.map((p) => p[0]));
    const ymin = Math.min(...all.map((p) => p[1]));
    const ymax = Math.max(...all.map((p) => p[1]));
    // edges of a rotated or curved footprint bulge past its corners by well under a pixel here
    expect(x0).toBeCloseTo(xmin, -1);
    expect(y0).toBeCloseTo(ymax, -1);
    expect(Math.abs(info.size[0] - (xmax - xmin) / 10)).toBeLessThanOrEqual(1);
    expect(Math.abs(info.size[1] - (ymax - ymin) / 10)).toBeLessThanOrEqual(1);
    // far larger than the first input alone (200 x 150)
    expect(info.size[0] * info.size[1]).toBeGreaterThan(2 * 200 * 150);
  });

  for (const [method, resampling] of CASES) {
    it(`${method}, ${resampling}: within the reproject oracle's bounds of gdalwarp`, async () => {
      const ours = file(`${stepName(method, resampling)}.tif`);
      const info = await gdalinfoJson(ours);
      const [x0, rx, , y0, , ry] = info.geoTransform!;
      const [w, h] = info.size;
      const te = [x0!, y0! + h * ry!, x0! + w * rx!, y0!].map(String);
      const order = method === "last" ? INPUTS : [...INPUTS].reverse();
      const theirs = file(`gdal-${method}-${resampling}.tif`);
      await run("gdalwarp", [
        ...["-q", "-overwrite", "-et", "0", "-r", resampling === "nearest" ? "near" : resampling],
        ...["-t_srs", "EPSG:32631", "-te", ...te, "-ts", String(w), String(h)],
        ...order.map((n) => file(`${n}.tif`)),
        theirs,
      ]);
      const a = await readWithGdal(ours);
      const b = await readWithGdal(theirs);
      const s = diffStats(a.bands[0]!, b.bands[0]!, w, h, 0);
      // every input contributes: the compared pixels outnumber the first input's
      expect(s.compared).toBeGreaterThan(1.5 * 200 * 150);
      expect(s.validityMismatch).toBeLessThan(2 * (w + h));
      if (resampling === "nearest") {
        // a position a thousandth of a pixel off can pick the neighbour: rare, but then by a full step
        expect(s.differing / s.compared).toBeLessThan(0.001);
      } else {
        expect(s.mean).toBeLessThanOrEqual(0.5);
        expect(s.max).toBeLessThanOrEqual(2);
      }
    });
  }

  for (const resampling of DOWN) {
    it(`a downsampled input, ${resampling}: gdalwarp of it alone with the same XSCALE / YSCALE`, async () => {
      const ours = file(`down-${resampling}.tif`);
      const info = await gdalinfoJson(ours);
      const [w, h] = info.size;
      const output: Grid = {
        width: w,
        height: h,
        bands: 1,
        dataType: "uint16",
        nodata: 0,
        crs: { epsg: 32631, wkt: null },
        geoTransform: info.geoTransform! as unknown as Grid["geoTransform"],
      };
      const fine: Grid = {
        ...output,
        width: 220,
        height: 160,
        crs: { epsg: 4326, wkt: null },
        geoTransform: FINE_GT,
      };
      // the kernels' stretch at the centre of the output (it varies by < 1e-4 over these 2 km)
      const scale = warpScale(resampling, fine, output, { x: 0, y: 0, width: w, height: h })!;
      expect(scale.x).toBeLessThan(0.95);
      const [x0, rx, , y0, , ry] = info.geoTransform!;
      const te = [x0!, y0! + h * ry!, x0! + w * rx!, y0!].map(String);
      const theirs = file(`gdal-down-${resampling}.tif`);
      await run("gdalwarp", [
        ...["-q", "-overwrite", "-et", "0", "-r", resampling, "-t_srs", "EPSG:32631"],
        ...["-wo", `XSCALE=${scale.x}`, "-wo", `YSCALE=${scale.y}`],
        ...["-te", ...te, "-ts", String(w), String(h), file("fine.tif"), theirs],
      ]);
      const a = (await readWithGdal(ours)).bands[0]!;
      const b = (await readWithGdal(theirs)).bands[0]!;
      // where the fine input has a value, it is the last one and wins: compare there
      const masked = a.map((v, i) => (b[i] === 0 ? 0 : v));
      const s = diffStats(masked, b, w, h, 0);
      expect(s.compared).toBeGreaterThan(0.5 * 220 * 160 * 0.72 * 0.89);
      expect(s.mean).toBeLessThanOrEqual(0.5);
      expect(s.max).toBeLessThanOrEqual(2);
    });
  }
});
