import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { colormapTable } from "../../worker/io/png/colormap.ts";
import { pickLevel, writeQuicklook } from "../../worker/io/png/quicklook.ts";
import { percentiles, validMask } from "../../worker/io/png/stretch.ts";
import { hasGdal, python, readWithGdal } from "../helpers/gdal.ts";
import { decodePng } from "../helpers/png-decode.ts";
import { writeFixtureCog } from "../helpers/raster-fixtures.ts";
import { type S3Fixture, startS3 } from "../helpers/s3rver.ts";

const rgbAt = (table: Uint8Array, i: number) => [table[3 * i], table[3 * i + 1], table[3 * i + 2]];

describe("colour maps", () => {
  test("viridis matches matplotlib's _viridis_data at its ends and within ±1 in the middle", () => {
    const t = colormapTable("viridis");
    expect(rgbAt(t, 0)).toEqual([68, 1, 84]); // [0.267004, 0.004874, 0.329415] × 255
    expect(rgbAt(t, 255)).toEqual([253, 231, 37]); // [0.993248, 0.906157, 0.143936]
    // Entry 128 is [0.127568, 0.566949, 0.550556] → 33, 145, 140; 128 is not an anchor (every 5th is).
    rgbAt(t, 128).forEach((v, c) => expect(Math.abs(v! - [33, 145, 140][c]!)).toBeLessThanOrEqual(1));
  });

  test("rdylgn goes through ColorBrewer's 11-class RdYlGn anchors", () => {
    const t = colormapTable("rdylgn");
    expect(rgbAt(t, 0)).toEqual([0xa5, 0x00, 0x26]);
    expect(rgbAt(t, 51)).toEqual([0xf4, 0x6d, 0x43]); // anchor 2 of 0..10 sits at 2 × 25.5
    expect(rgbAt(t, 204)).toEqual([0x66, 0xbd, 0x63]); // anchor 8
    expect(rgbAt(t, 255)).toEqual([0x00, 0x68, 0x37]);
  });
});

describe("percentiles", () => {
  const ramp = Float32Array.from({ length: 100 }, (_, i) => i);
  const all = new Uint8Array(100).fill(1);
  test.each([
    ["float32 (selection)", ramp, "float32", all, [1.98, 97.02]],
    ["uint16 (histogram)", Uint16Array.from(ramp), "uint16", all, [1.98, 97.02]],
    ["int16 negatives", Int16Array.from(ramp, (v) => v - 50), "int16", all, [-48.02, 47.02]],
    [
      "masked: evens only",
      ramp,
      "float32",
      Uint8Array.from(ramp, (v) => (v % 2 === 0 ? 1 : 0)),
      [1.96, 96.04],
    ],
    ["one valid value", ramp, "float32", Uint8Array.from(ramp, (v) => (v === 7 ? 1 : 0)), [7, 7]],
  ] as const)("%s: numpy's linear percentiles", (_, band, dataType, mask, expected) => {
    const p = percentiles(band, dataType, mask, [2, 98])!;
    p.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 9));
  });

  test("no valid pixel gives null", () => {
    expect(percentiles(ramp, "float32", new Uint8Array(100), [2, 98])).toBeNull();
  });

  test("the histogram and the selection agree on shuffled data with duplicates", () => {
    let s = 7;
    const u = Uint16Array.from({ length: 20011 }, () => ((s = (s * 48271) % 2147483647), s % 3001));
    const mask = Uint8Array.from(u, (v) => (v % 13 === 0 ? 0 : 1));
    const ps = [0, 2, 50, 98, 100];
    expect(percentiles(u, "uint16", mask, ps)).toEqual(
      percentiles(Float64Array.from(u), "float64", mask, ps),
    );
  });

  test("nodata, NaN and infinities are not valid; float32 nodata compares as stored", () => {
    const band = Float32Array.of(1, 0.1, NaN, Infinity, -9999, 5);
    expect([...validMask([band], "float32", 0.1)]).toEqual([1, 0, 0, 0, 1, 1]);
    expect([...validMask([band], "float32", -9999)]).toEqual([1, 1, 0, 0, 0, 1]);
    expect([...validMask([band], "float32", null)]).toEqual([1, 1, 0, 0, 1, 1]);
  });
});

test.each([
  ["picks the smallest level at least as large", [3000, 1500, 750, 375], 1024, 1],
  ["exactly the size", [3000, 1500, 750, 375], 750, 2],
  ["smaller than every overview", [3000, 1500, 750, 375], 100, 3],
  ["larger than the image", [3000, 1500, 750], 4000, 0],
  ["no overviews", [3000], 1024, 0],
])("pickLevel %s", (_, sides, size, level) => {
  expect(
    pickLevel(
      sides.map((w) => ({ width: w, height: Math.ceil(w / 2) })),
      size,
    ),
  ).toBe(level);
});

describe("writeQuicklook", () => {
  let dir: string;
  let s3: S3Fixture;
  // 300x200 float32, values (x + y) % 256; nodata -9999 in the top-left 10x10, NaN in the last column.
  const value = (x: number, y: number) => (x === 299 ? NaN : x < 10 && y < 10 ? -9999 : (x + y) % 256);
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "imagechain-quicklook-"));
    s3 = await startS3();
    await s3.createBucket("quicklooks");
    await writeFixtureCog(join(dir, "ramp.tif"), {
      width: 300,
      height: 200,
      dataType: "float32",
      nodata: -9999,
      bands: [value],
    });
    await writeFixtureCog(join(dir, "flat.tif"), {
      width: 300,
      height: 200,
      dataType: "uint8",
      overviews: "none",
      bands: [(x, y) => (x + y) % 256],
    });
    await writeFixtureCog(join(dir, "rgb.tif"), {
      width: 120,
      height: 80,
      dataType: "uint16",
      nodata: 0,
      bands: [(x) => 1000 + x, (_, y) => 2000 + y, (x, y) => (x < 5 && y < 5 ? 0 : 3000 + x + y)],
    });
  });
  afterAll(async () => {
    await s3.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const pixel = (png: { width: number; channels: number; pixels: Uint8Array }, x: number, y: number) => [
    ...png.pixels.subarray((y * png.width + x) * png.channels, (y * png.width + x + 1) * png.channels),
  ];

  test("one band over 0..255 through rdylgn at full resolution: value v is entry v; nodata, NaN transparent", async () => {
    const out = join(dir, "rdylgn.png");
    const r = await writeQuicklook(join(dir, "ramp.tif"), out, {
      size: 300,
      colormap: "rdylgn",
      range: [0, 255],
    });
    expect(r).toMatchObject({ width: 300, height: 200, level: 0, bands: [1], ranges: [[0, 255]] });
    const png = decodePng(await readFile(out));
    expect([png.width, png.height, png.channels]).toEqual([300, 200, 4]);
    expect(png.text).toEqual({ Software: "imagechain" });
    expect(pixel(png, 51, 0)).toEqual([0xf4, 0x6d, 0x43, 255]);
    expect(pixel(png, 255, 0)).toEqual([0x00, 0x68, 0x37, 255]);
    expect(pixel(png, 256, 0)).toEqual([0xa5, 0x00, 0x26, 255]); // (256 + 0) % 256 = 0
    expect(pixel(png, 3, 3)).toEqual([0, 0, 0, 0]); // nodata
    expect(pixel(png, 299, 50)).toEqual([0, 0, 0, 0]); // NaN
    const table = colormapTable("rdylgn");
    let wrong = 0;
    for (let y = 0; y < 200; y++)
      for (let x = 0; x < 300; x++) {
        const v = value(x, y);
        const want = Number.isNaN(v) || v === -9999 ? [0, 0, 0, 0] : [...rgbAt(table, v), 255];
        if (pixel(png, x, y).join() !== want.join()) wrong++;
      }
    expect(wrong).toBe(0);
  });

  test("stretched values round half up: 101 over 0..510 is entry 51", async () => {
    const out = join(dir, "half.png");
    await writeQuicklook(join(dir, "ramp.tif"), out, { size: 300, colormap: "rdylgn", range: [0, 510] });
    expect(pixel(decodePng(await readFile(out)), 101, 0)).toEqual([0xf4, 0x6d, 0x43, 255]);
  });

  test("the smallest overview at least --size wide is the one read", async () => {
    const out = join(dir, "level.png");
    const r = await writeQuicklook(join(dir, "ramp.tif"), out, { size: 100 });
    expect(r).toMatchObject({ width: 150, height: 100, level: 1 });
    expect(decodePng(await readFile(out))).toMatchObject({ width: 150, height: 100, channels: 4 });
  });

  test("without overviews, every step-th row and column (cell centres) is sampled; grey without alpha", async () => {
    const out = join(dir, "flat.png");
    const r = await writeQuicklook(join(dir, "flat.tif"), out, {
      size: 100,
      colormap: "grey",
      range: [0, 255],
    });
    expect(r).toMatchObject({ width: 100, height: 67, level: 0 });
    const png = decodePng(await readFile(out));
    expect(png.channels).toBe(1);
    const want = Uint8Array.from({ length: 100 * 67 }, (_, i) => {
      const [x, y] = [(i % 100) * 3 + 1, Math.floor(i / 100) * 3 + 1];
      return (x + Math.min(y, 199)) % 256;
    });
    expect(Buffer.from(png.pixels).equals(Buffer.from(want))).toBe(true);
  });

  test("three bands as RGB over one range; a pixel nodata in one band is transparent", async () => {
    const out = join(dir, "rgb.png");
    await writeQuicklook(join(dir, "rgb.tif"), out, { bands: [1, 2, 3], range: [1000, 1255] });
    const png = decodePng(await readFile(out));
    expect(png.channels).toBe(4);
    expect(pixel(png, 7, 3)).toEqual([7, 255, 255, 255]);
    expect(pixel(png, 119, 79)).toEqual([119, 255, 255, 255]);
    expect(pixel(png, 2, 2)).toEqual([0, 0, 0, 0]);
  });

  test("S3 in, S3 out: the same bytes as a local file", async () => {
    await s3.client.send(
      new PutObjectCommand({
        Bucket: "quicklooks",
        Key: "in/ramp.tif",
        Body: await readFile(join(dir, "ramp.tif")),
      }),
    );
    const local = join(dir, "local.png");
    await writeQuicklook(join(dir, "ramp.tif"), local, { colormap: "viridis" });
    await writeQuicklook("s3://quicklooks/in/ramp.tif", "s3://quicklooks/out/ramp.png", {
      colormap: "viridis",
      s3: s3.options,
    });
    const got = await s3.client.send(new GetObjectCommand({ Bucket: "quicklooks", Key: "out/ramp.png" }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    expect(bytes.equals(await readFile(local))).toBe(true);
  });

  test.each([
    ["a band that does not exist", { bands: [2] }, "invalid-argument", /bands: band 2 does not exist/],
    ["two bands", { bands: [1, 1] }, "invalid-argument", /1 band .* or 3/],
    ["an empty range", { range: [5, 5] as const }, "invalid-argument", /range must be/],
    ["an unknown colour map", { colormap: "jet" as "grey" }, "invalid-argument", /colormap must be one of/],
  ])("%s fails with an IoError naming the input, and writes nothing", async (_, opts, code, message) => {
    const before = await readdir(dir);
    const out = join(dir, "never.png");
    const e = await writeQuicklook(join(dir, "ramp.tif"), out, opts).catch((x: unknown) => x);
    expect(e).toMatchObject({ name: "IoError", code, uri: expect.stringContaining("ramp.tif") });
    expect((e as Error).message).toMatch(message);
    expect(await readdir(dir)).toEqual(before);
  });

  test("an output directory that does not exist fails as not-found and leaves nothing", async () => {
    const out = join(dir, "missing", "x.png");
    await expect(writeQuicklook(join(dir, "ramp.tif"), out)).rejects.toMatchObject({ code: "not-found" });
    expect(existsSync(join(dir, "missing"))).toBe(false);
  });

  describe.skipIf(!hasGdal && !process.env.CI)("against GDAL and numpy", () => {
    test("GDAL decodes exact RGBA: a colour-map end, a mid value, nodata", async () => {
      const out = join(dir, "viridis.png");
      await writeQuicklook(join(dir, "ramp.tif"), out, { size: 300, range: [0, 255] });
      const gdal = await readWithGdal(out);
      expect(gdal.bands.length).toBe(4);
      const at = (x: number, y: number) => gdal.bands.map((b) => b[y * 300 + x]);
      expect(at(10, 0).slice(0, 3)).toEqual(rgbAt(colormapTable("viridis"), 10));
      expect(at(255, 0)).toEqual([253, 231, 37, 255]);
      expect(at(256, 0)).toEqual([68, 1, 84, 255]);
      // 128 is matplotlib's [0.127568, 0.566949, 0.550556] → 33, 145, 140 (interpolated: ±1)
      at(128, 0).forEach((v, c) => expect(Math.abs(v! - [33, 145, 140, 255][c]!)).toBeLessThanOrEqual(1));
      expect(at(5, 5)).toEqual([0, 0, 0, 0]);
      expect(at(299, 199)).toEqual([0, 0, 0, 0]);
    });

    test("the default range is numpy's 2nd and 98th percentile of the valid pixels", async () => {
      const r = await writeQuicklook(join(dir, "ramp.tif"), join(dir, "p.png"), { size: 300 });
      const numpy = JSON.parse(
        (
          await python(`
import json, numpy as np
y, x = np.mgrid[0:200, 0:300]
v = ((x + y) % 256).astype(np.float64)
valid = (x != 299) & ~((x < 10) & (y < 10))
print(json.dumps(list(np.percentile(v[valid], [2, 98]))))
`)
        ).toString(),
      ) as number[];
      r.ranges[0]!.forEach((v, i) => expect(v).toBeCloseTo(numpy[i]!, 9));
    });
  });
});
