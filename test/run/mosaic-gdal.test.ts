/**
 * mosaic through the local engine against gdalwarp on three overlapping UInt16 inputs (nodata 0 in each
 * one's top-left third, one of them shifted by a quarter pixel): last = gdalwarp of the inputs in order,
 * first = gdalwarp of them reversed; max and mean = numpy over each input gdalwarped alone onto the grid.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runChain } from "../../operator/local/executor.ts";
import { validateSpec } from "../../operator/spec/validate.ts";
import type { TypedArray } from "../../worker/io/raster.ts";
import { gdalinfoJson, hasGdal, makeRasters, python, readWithGdal, run } from "../helpers/gdal.ts";

let dir: string;
const file = (name: string) => join(dir, name);
const INPUTS = ["a", "b", "c"] as const;
const METHODS = [
  ["first", "nearest"],
  ["last", "nearest"],
  ["max", "nearest"],
  ["mean", "nearest"],
  ["first", "bilinear"],
  ["last", "cubic"],
] as const;
const stepName = (method: string, resampling: string) => `${method}-${resampling}`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "imagechain-mosaic-"));
  if (!hasGdal && !process.env.CI) return;
  const common = { bands: 2, dataType: "uint16", epsg: 32631, nodata: 0 } as const;
  await makeRasters([
    {
      ...common,
      path: file("a.tif"),
      width: 200,
      height: 150,
      seed: 1,
      geoTransform: [500000, 10, 0, 4000000, 0, -10],
    },
    // a quarter of a pixel off the others' lattice: resampling matters
    {
      ...common,
      path: file("b.tif"),
      width: 180,
      height: 160,
      seed: 2,
      geoTransform: [501002.5, 10, 0, 3999297.5, 0, -10],
    },
    {
      ...common,
      path: file("c.tif"),
      width: 150,
      height: 150,
      seed: 3,
      geoTransform: [501500, 10, 0, 4000300, 0, -10],
    },
  ]);
  const checked = validateSpec({
    sources: Object.fromEntries(INPUTS.map((n) => [n, { uri: pathToFileURL(file(`${n}.tif`)).href }])),
    steps: METHODS.map(([method, resampling]) => ({
      name: stepName(method, resampling),
      op: "mosaic",
      inputs: { a: "a", b: "b", c: "c" },
      params: { method, resampling },
    })),
    outputs: METHODS.map(([m, r]) => ({
      step: stepName(m, r),
      uri: pathToFileURL(file(`${stepName(m, r)}.tif`)).href,
    })),
    tiling: { tileSize: 64 },
  });
  if (!checked.ok) throw new Error(JSON.stringify(checked.issues));
  await runChain(checked.value, { workers: 2, workdir: dir });
}, 120_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

/** gdalwarp of `inputs` (in this order: the last written wins) onto the grid of our output `like`. */
async function gdalwarp(like: string, inputs: readonly string[], resampling: string, out: string) {
  const info = await gdalinfoJson(like);
  const [x0, rx, , y0, , ry] = info.geoTransform!;
  const [w, h] = info.size;
  const te = [x0!, y0! + h * ry!, x0! + w * rx!, y0!].map(String);
  await run("gdalwarp", [
    "-q",
    "-overwrite",
    "-r",
    resampling,
    "-te",
    ...te,
    "-ts",
    String(w),
    String(h),
    ...inputs,
    out,
  ]);
  return readWithGdal(out);
}

function compare(got: readonly TypedArray[], expected: readonly TypedArray[]) {
  let differing = 0;
  let worst = 0;
  got.forEach((band, b) => {
    for (let i = 0; i < band.length; i++) {
      const d = Math.abs(band[i]! - expected[b]![i]!);
      if (d !== 0) differing++;
      worst = Math.max(worst, d);
    }
  });
  return { differing, worst };
}

describe.skipIf(!hasGdal && !process.env.CI)("mosaic against gdalwarp", () => {
  for (const [method, resampling] of METHODS.filter(([m]) => m === "first" || m === "last")) {
    it(`${method}, ${resampling}: identical to gdalwarp`, async () => {
      const ours = file(`${stepName(method, resampling)}.tif`);
      const order = method === "last" ? INPUTS : [...INPUTS].reverse();
      const theirs = await gdalwarp(
        ours,
        order.map((n) => file(`${n}.tif`)),
        resampling,
        file(`gdal-${method}-${resampling}.tif`),
      );
      const got = await readWithGdal(ours);
      expect(got.width).toBe(theirs.width);
      expect(compare(got.bands, theirs.bands)).toEqual({ differing: 0, worst: 0 });
      // the union grid is covered by all three somewhere, and nodata (0) where none is
      expect(got.bands[0]!.includes(0)).toBe(true);
    });
  }

  it("max and mean: identical to numpy over each input gdalwarped alone", async () => {
    const like = file("max-nearest.tif");
    for (const n of INPUTS) await gdalwarp(like, [file(`${n}.tif`)], "near", file(`alone-${n}.tif`));
    const script = `
import sys
import numpy as np
from osgeo import gdal
stack = np.stack([gdal.Open(p).ReadAsArray().astype(np.float64) for p in sys.argv[1:]])
valid = stack != 0
mx = np.where(valid, stack, -1).max(axis=0)
mx[~valid.any(axis=0)] = 0
count = valid.sum(axis=0)
mean = np.floor(np.where(valid, stack, 0).sum(axis=0) / np.maximum(count, 1) + 0.5)
mean[count == 0] = 0
sys.stdout.buffer.write(mx.astype(np.uint16).tobytes() + mean.astype(np.uint16).tobytes())
`;
    const out = await python(
      script,
      INPUTS.map((n) => file(`alone-${n}.tif`)),
    );
    const all = new Uint16Array(out.buffer, out.byteOffset, out.byteLength / 2);
    const perBand = all.length / 4;
    const band = (k: number) => all.subarray(k * perBand, (k + 1) * perBand);
    const max = await readWithGdal(like);
    const mean = await readWithGdal(file("mean-nearest.tif"));
    expect(compare(max.bands, [band(0), band(1)])).toEqual({ differing: 0, worst: 0 });
    expect(compare(mean.bands, [band(2), band(3)])).toEqual({ differing: 0, worst: 0 });
  });
});
