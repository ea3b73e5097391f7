import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { TypedArray } from "../../worker/io/raster.ts";
import type { ByteRange, ByteSource } from "../../worker/io/source/byte-source.ts";
import { cachedSource } from "../../worker/io/source/cached-source.ts";
import { s3Source } from "../../worker/io/source/s3-source.ts";
import { openFromSource, openRaster } from "../../worker/io/tiff/reader.ts";
import { hasGdal, makeRasters } from "../helpers/gdal.ts";
import { type S3Fixture, startS3 } from "../helpers/s3rver.ts";

const URI = "s3://rasters/scenes/cog.tif";
const W = 1024;
const H = 768;

let dir: string;
let s3: S3Fixture;

/** Counts the ranged GETs that reach S3. */
function counting(inner: ByteSource): ByteSource & { gets: ByteRange[] } {
  const gets: ByteRange[] = [];
  return { ...inner, gets, read: (ranges, signal) => (gets.push(...ranges), inner.read(ranges, signal)) };
}

function cropBand(a: TypedArray, width: number, x: number, y: number, w: number, h: number): TypedArray {
  const out = a.slice(0, w * h);
  for (let r = 0; r < h; r++) out.set(a.subarray((y + r) * width + x, (y + r) * width + x + w), r * w);
  return out;
}

const bytes = (a: TypedArray) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe.skipIf(!hasGdal && !process.env.CI)("reading a COG from S3 (s3rver)", () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "imagechain-s3-reader-"));
    await makeRasters([
      {
        path: join(dir, "cog.tif"),
        width: W,
        height: H,
        bands: 4,
        dataType: "uint16",
        driver: "COG",
        options: ["COMPRESS=DEFLATE", "PREDICTOR=2", "BLOCKSIZE=128"],
      },
    ]);
    s3 = await startS3();
    await s3.createBucket("rasters");
    const body = await readFile(join(dir, "cog.tif"));
    await s3.client.send(new PutObjectCommand({ Bucket: "rasters", Key: "scenes/cog.tif", Body: body }));
  });
  afterAll(async () => {
    await s3.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test("same pixels and info as the local file", async () => {
    const local = await openRaster(join(dir, "cog.tif"));
    const remote = await openRaster(URI, { s3: s3.options });
    expect(remote.info.cog.valid).toBe(true);
    expect({ ...remote.info, uri: "", cog: null }).toEqual({ ...local.info, uri: "", cog: null });
    for (const [window, opts] of [
      [{ x: 0, y: 0, width: W, height: H }, {}],
      [{ x: 100, y: 200, width: 300, height: 77 }, { bands: [4, 2] }],
      [{ x: 0, y: 0, width: 512, height: 384 }, { level: 1 }],
    ] as const) {
      const a = await local.readWindow(window, opts);
      const b = await remote.readWindow(window, opts);
      b.bands.forEach((band, i) => expect(bytes(band).equals(bytes(a.bands[i]!))).toBe(true));
    }
    await local.close();
    await remote.close();
  });

  test("coalescing: a full-resolution read of 48 tiles takes a handful of GETs, not one per tile", async () => {
    const raw = counting(s3Source(URI, s3.options));
    const reader = await openFromSource(cachedSource(raw), { fullCogCheck: false });
    const afterOpen = raw.gets.length;
    const tiles = Math.ceil(W / 128) * Math.ceil(H / 128);
    await reader.readWindow({ x: 0, y: 0, width: W, height: H });
    const forPixels = raw.gets.length - afterOpen;
    expect(tiles).toBe(48);
    expect(afterOpen).toBeLessThanOrEqual(2);
    expect(forPixels).toBeLessThanOrEqual(3);

    // Without the cache every tile is its own GET.
    const uncached = counting(s3Source(URI, s3.options));
    const plain = await openFromSource(uncached, { fullCogCheck: false });
    const before = uncached.gets.length;
    await plain.readWindow({ x: 0, y: 0, width: W, height: H });
    expect(uncached.gets.length - before).toBe(tiles);
  });

  test("decoded blocks are reused by later windows (halos, neighbours) until the cache bound", async () => {
    const raw = counting(s3Source(URI, s3.options));
    const reader = await openFromSource(raw, { fullCogCheck: false });
    const tile = { x: 128, y: 128, width: 128, height: 128 };
    const withHalo = { x: 120, y: 120, width: 144, height: 144 }; // touches 9 tiles
    const first = await reader.readWindow(withHalo);
    const before = raw.gets.length;
    const again = await reader.readWindow(tile, { bands: [3] });
    expect(raw.gets.length).toBe(before);
    expect(bytes(again.bands[0]!).equals(bytes(cropBand(first.bands[2]!, 144, 8, 8, 128, 128)))).toBe(true);

    const uncached = counting(s3Source(URI, s3.options));
    const plain = await openFromSource(uncached, { fullCogCheck: false, decodedCacheBytes: 0 });
    await plain.readWindow(withHalo);
    const start = uncached.gets.length;
    await plain.readWindow(tile);
    expect(uncached.gets.length - start).toBe(1);
  });

  test("missing object: not-found; unknown credentials: access-denied", async () => {
    await expect(openRaster("s3://rasters/scenes/nope.tif", { s3: s3.options })).rejects.toMatchObject({
      code: "not-found",
      message: expect.stringContaining("s3://rasters/scenes/nope.tif"),
    });
    const wrong = { ...s3.options, credentials: { accessKeyId: "NOBODY", secretAccessKey: "x" } };
    await expect(openRaster(URI, { s3: wrong })).rejects.toMatchObject({
      code: "access-denied",
      message: expect.stringContaining(URI),
    });
  });
});
