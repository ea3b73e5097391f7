import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  type Block,
  cropBlock,
  type DataType,
  type TypedArray,
  type Window,
} from "../../worker/io/raster.ts";
import { openRaster } from "../../worker/io/tiff/reader.ts";
import { hasGdal, makeRasters, type RasterSpec, readWithGdal } from "../helpers/gdal.ts";

const T = ["TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256"];

/** name → how GDAL writes it; every case is read back over several windows and compared with GDAL. */
interface Case extends Omit<RasterSpec, "path"> {
  /**
   * Write the same pixels with these options and read that file with GDAL instead: GDAL 3.6 (with
   * libtiff 4.5) misreads its own big-endian predictor-3 files, while geotiff.js and imagechain agree
   * on the values that were written.
   */
  readonly oracleOptions?: readonly string[];
}

const CASES: Record<string, Case> = {
  "uint8 none striped": { width: 700, height: 500, bands: 3, dataType: "uint8", options: [] },
  "int8 deflate tiled": {
    width: 700,
    height: 500,
    bands: 2,
    dataType: "int8",
    options: [...T, "COMPRESS=DEFLATE"],
  },
  "uint16 deflate predictor 2, 4 bands": {
    width: 700,
    height: 500,
    bands: 4,
    dataType: "uint16",
    options: [...T, "COMPRESS=DEFLATE", "PREDICTOR=2"],
  },
  "int16 lzw predictor 2 striped": {
    width: 700,
    height: 500,
    bands: 3,
    dataType: "int16",
    options: ["COMPRESS=LZW", "PREDICTOR=2", "BLOCKYSIZE=7"],
  },
  "uint32 packbits tiled": {
    width: 700,
    height: 500,
    bands: 2,
    dataType: "uint32",
    options: [...T, "COMPRESS=PACKBITS"],
  },
  "int32 deflate predictor 2 big endian": {
    width: 700,
    height: 500,
    bands: 2,
    dataType: "int32",
    options: [...T, "COMPRESS=DEFLATE", "PREDICTOR=2", "ENDIANNESS=BIG"],
  },
  "float32 deflate predictor 3 BigTIFF": {
    width: 700,
    height: 500,
    bands: 3,
    dataType: "float32",
    options: [...T, "COMPRESS=DEFLATE", "PREDICTOR=3", "BIGTIFF=YES"],
  },
  "float32 deflate predictor 3 big endian": {
    width: 700,
    height: 500,
    bands: 2,
    dataType: "float32",
    options: [...T, "COMPRESS=DEFLATE", "PREDICTOR=3", "ENDIANNESS=BIG"],
    oracleOptions: [...T, "COMPRESS=DEFLATE", "PREDICTOR=3"],
  },
  "float64 lzw predictor 3 band interleave": {
    width: 700,
    height: 500,
    bands: 3,
    dataType: "float64",
    options: [...T, "COMPRESS=LZW", "PREDICTOR=3", "INTERLEAVE=BAND"],
  },
  "uint16 lzw predictor 2 band interleave big endian": {
    width: 700,
    height: 500,
    bands: 3,
    dataType: "uint16",
    options: [...T, "COMPRESS=LZW", "PREDICTOR=2", "INTERLEAVE=BAND", "ENDIANNESS=BIG"],
  },
  "uint8 packbits striped band interleave": {
    width: 700,
    height: 500,
    bands: 3,
    dataType: "uint8",
    options: ["COMPRESS=PACKBITS", "INTERLEAVE=BAND"],
  },
  "int16 none big endian striped": {
    width: 700,
    height: 500,
    bands: 2,
    dataType: "int16",
    options: ["ENDIANNESS=BIG"],
  },
  "odd size, partial 64x32 tiles, float64 deflate": {
    width: 333,
    height: 211,
    bands: 2,
    dataType: "float64",
    options: ["TILED=YES", "BLOCKXSIZE=64", "BLOCKYSIZE=32", "COMPRESS=DEFLATE"],
  },
  "sparse tiles read as nodata": {
    width: 700,
    height: 500,
    bands: 2,
    dataType: "int16",
    nodata: -999,
    options: [...T, "COMPRESS=DEFLATE", "SPARSE_OK=TRUE"],
  },
  "sparse tiles without nodata read as 0 (band interleave)": {
    width: 700,
    height: 500,
    bands: 2,
    dataType: "uint16",
    nodata: 0,
    options: [...T, "COMPRESS=LZW", "SPARSE_OK=TRUE", "INTERLEAVE=BAND"],
  },
  "COG with overviews": {
    width: 1200,
    height: 900,
    bands: 3,
    dataType: "uint16",
    driver: "COG",
    options: ["COMPRESS=DEFLATE", "PREDICTOR=2", "BLOCKSIZE=256"],
  },
};

function windowsFor(width: number, height: number): { name: string; window: Window; bands?: number[] }[] {
  return [
    { name: "full image", window: { x: 0, y: 0, width, height } },
    { name: "1x1 top-left", window: { x: 0, y: 0, width: 1, height: 1 } },
    { name: "1x1 bottom-right", window: { x: width - 1, y: height - 1, width: 1, height: 1 } },
    { name: "last column", window: { x: width - 1, y: 0, width: 1, height }, bands: [1] },
    { name: "bottom edge strip", window: { x: 3, y: height - 5, width: width - 3, height: 5 } },
    { name: "many tiles, bands reversed", window: { x: 17, y: 29, width: 301, height: 163 }, bands: [2, 1] },
  ];
}

function bytesOf(a: TypedArray): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function expectSame(got: Block, want: { dataType: DataType; bands: TypedArray[] }) {
  expect(got.dataType).toBe(want.dataType);
  expect(got.bands.length).toBe(want.bands.length);
  got.bands.forEach((band, i) => {
    // Byte equality: exact for every type, including NaN payloads and -0.
    expect(bytesOf(band).equals(bytesOf(want.bands[i]!))).toBe(true);
  });
}

let dir: string;
const path = (name: string) => join(dir, `${name.replace(/[^a-z0-9]+/gi, "_")}.tif`);
const oraclePath = (name: string) => path(name).replace(/\.tif$/, ".oracle.tif");

describe.skipIf(!hasGdal && !process.env.CI)("reader equals GDAL", () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "imagechain-reader-"));
    await makeRasters(
      Object.entries(CASES).flatMap(([name, spec]) => [
        { ...spec, path: path(name) },
        ...(spec.oracleOptions ? [{ ...spec, options: spec.oracleOptions, path: oraclePath(name) }] : []),
      ]),
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  for (const [name, spec] of Object.entries(CASES)) {
    test(name, async () => {
      const gdal = await readWithGdal(spec.oracleOptions ? oraclePath(name) : path(name));
      const reader = await openRaster(pathToFileURL(path(name)).href);
      try {
        expect(reader.info).toMatchObject({ width: spec.width, height: spec.height, bandCount: spec.bands });
        expect(reader.info.dataType).toBe(spec.dataType);
        const whole: Block = { ...gdal, bands: gdal.bands };
        for (const { window, bands } of windowsFor(spec.width, spec.height)) {
          const got = await reader.readWindow(window, bands ? { bands } : {});
          const want = cropBlock(whole, window.x, window.y, window.width, window.height);
          const expected = {
            dataType: want.dataType,
            bands: (bands ?? want.bands.map((_, i) => i + 1)).map((b) => want.bands[b - 1]!),
          };
          expectSame(got, expected);
          // Recycled arrays hold stale pixels: every one must be overwritten.
          const into = got.bands.map((a) => {
            const stale = a.slice();
            bytesOf(stale).fill(0x5a);
            return stale;
          });
          const again = await reader.readWindow(window, { ...(bands ? { bands } : {}), into });
          expect(again.bands).toEqual(into);
          expectSame(again, expected);
        }
      } finally {
        await reader.close();
      }
    });
  }

  test("layout is described as GDAL wrote it", async () => {
    const info = async (name: string) => {
      const r = await openRaster(path(name));
      await r.close();
      return r.info;
    };
    expect((await info("uint8 none striped")).layout).toMatchObject({
      tiled: false,
      blockWidth: 700,
      compression: "none",
      interleave: "pixel",
      bigTiff: false,
      byteOrder: "little",
    });
    expect((await info("float32 deflate predictor 3 BigTIFF")).layout).toMatchObject({
      tiled: true,
      blockWidth: 256,
      blockHeight: 256,
      compression: "deflate",
      predictor: 3,
      bigTiff: true,
    });
    expect((await info("uint16 lzw predictor 2 band interleave big endian")).layout).toMatchObject({
      compression: "lzw",
      predictor: 2,
      interleave: "band",
      byteOrder: "big",
    });
    expect((await info("sparse tiles read as nodata")).nodata).toBe(-999);
  });

  test("overview levels equal GDAL's overviews", async () => {
    const file = path("COG with overviews");
    const reader = await openRaster(file);
    expect(reader.info.overviews.map((o) => [o.width, o.height])).toEqual([
      [600, 450],
      [300, 225],
      [150, 112],
    ]);
    for (const level of [1, 2, 3]) {
      const gdal = await readWithGdal(file, undefined, { level });
      const o = reader.info.overviews[level - 1]!;
      expectSame(await reader.readWindow({ x: 0, y: 0, width: o.width, height: o.height }, { level }), gdal);
      const part = cropBlock(gdal, 5, 7, 100, 50);
      expectSame(await reader.readWindow({ x: 5, y: 7, width: 100, height: 50 }, { level }), part);
    }
    await reader.close();
  });

  test("windows outside the image, bad bands and bad levels are invalid-argument errors", async () => {
    const reader = await openRaster(path("uint8 none striped"));
    const bad: [Window, { bands?: number[]; level?: number }][] = [
      [{ x: -1, y: 0, width: 10, height: 10 }, {}],
      [{ x: 690, y: 0, width: 11, height: 10 }, {}],
      [{ x: 0, y: 495, width: 10, height: 6 }, {}],
      [{ x: 0, y: 0, width: 0, height: 6 }, {}],
      [{ x: 0, y: 0, width: 10, height: 10 }, { bands: [4] }],
      [{ x: 0, y: 0, width: 10, height: 10 }, { bands: [0] }],
      [{ x: 0, y: 0, width: 10, height: 10 }, { level: 1 }],
      [{ x: 0, y: 0, width: 10, height: 10 }, { bands: [] }],
    ];
    for (const [window, opts] of bad) {
      await expect(reader.readWindow(window, opts)).rejects.toMatchObject({ code: "invalid-argument" });
    }
    const window = { x: 0, y: 0, width: 10, height: 10 };
    const wrongInto = [
      [new Uint8Array(100), new Uint8Array(100)], // 2 arrays for 3 bands
      [new Uint8Array(100), new Uint8Array(100), new Uint8Array(99)],
      [new Uint8Array(100), new Uint8Array(100), new Int8Array(100)],
    ];
    for (const into of wrongInto) {
      await expect(reader.readWindow(window, { into })).rejects.toThrow(/into: expected 3 uint8 array/);
    }
    await reader.close();
  });

  test("an aborted signal stops open and read, and does not fail another read of the same blocks", async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(openRaster(path("uint8 none striped"), { signal: ac.signal })).rejects.toThrow(/abort/i);
    const reader = await openRaster(path("COG with overviews"));
    const all = { x: 0, y: 0, width: 1200, height: 900 };
    await expect(reader.readWindow(all, { signal: ac.signal })).rejects.toThrow(/abort/i);

    const later = new AbortController();
    const aborted = reader.readWindow(all, { signal: later.signal });
    const other = reader.readWindow(all);
    later.abort();
    await expect(aborted).rejects.toThrow(/abort/i);
    expectSame(await other, await readWithGdal(path("COG with overviews")));
    await reader.close();
  });
});
