import { copyFile, mkdtemp, open, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { IoError, type IoErrorCode } from "../../worker/io/errors.ts";
import { openRaster } from "../../worker/io/tiff/reader.ts";
import { gdalTranslate, hasGdal, makeRasters, python } from "../helpers/gdal.ts";

let dir: string;
const p = (name: string) => join(dir, name);
const spec = { width: 600, height: 400, bands: 2, dataType: "uint16" } as const;

async function failure(promise: Promise<unknown>): Promise<IoError> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(IoError);
    return e as IoError;
  }
  throw new Error("expected a failure");
}

async function openFails(uri: string, code: IoErrorCode, message?: RegExp) {
  const e = await failure(openRaster(uri));
  expect(e.code).toBe(code);
  expect(e.message).toContain(uri);
  if (message) expect(e.message).toMatch(message);
  return e;
}

describe.skipIf(!hasGdal && !process.env.CI)(
  "bad input gives an IoError with the right code, naming the URI",
  () => {
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "imagechain-bad-"));
      await makeRasters([
        { ...spec, path: p("cog.tif"), driver: "COG", options: ["COMPRESS=DEFLATE", "BLOCKSIZE=128"] },
        { ...spec, path: p("gtiff.tif"), options: ["TILED=YES", "COMPRESS=DEFLATE"] },
        { ...spec, path: p("zstd.tif"), options: ["TILED=YES", "COMPRESS=ZSTD"] },
        { ...spec, dataType: "uint8", path: p("jpeg.tif"), options: ["TILED=YES", "COMPRESS=JPEG"] },
      ]);
      await gdalTranslate(["-of", "PNG", p("cog.tif"), p("image.png")]);
      await writeFile(p("notes.txt"), "this is not an image\n".repeat(10));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    test("missing file or a directory: not-found; a relative path: unsupported-uri", async () => {
      await openFails(p("missing.tif"), "not-found");
      await openFails(dir, "not-found");
      await openFails("relative/scene.tif", "unsupported-uri");
    });

    test("a PNG or a text file: not-tiff", async () => {
      await openFails(p("image.png"), "not-tiff");
      await openFails(p("notes.txt"), "not-tiff");
      await writeFile(p("tiny.bin"), "II");
      await openFails(p("tiny.bin"), "not-tiff");
    });

    test("ZSTD and JPEG compression: unsupported, naming the compression", async () => {
      await openFails(p("zstd.tif"), "unsupported", /zstd/);
      await openFails(p("jpeg.tif"), "unsupported", /jpeg/);
    });

    test("truncated inside the IFD: corrupt at open", async () => {
      await copyFile(p("gtiff.tif"), p("gtiff-cut.tif"));
      await truncate(p("gtiff-cut.tif"), 100);
      await openFails(p("gtiff-cut.tif"), "corrupt", /past the end/);
    });

    test("truncated COG (IFDs first): corrupt at open (leader check) or, unchecked, when reading lost tiles", async () => {
      await copyFile(p("cog.tif"), p("cog-cut.tif"));
      await truncate(p("cog-cut.tif"), 60_000);
      await openFails(p("cog-cut.tif"), "corrupt", /past the end/);
      const reader = await openRaster(p("cog-cut.tif"), { fullCogCheck: false });
      await reader.readWindow({ x: 0, y: 0, width: 1, height: 1 }, { level: reader.info.overviews.length }); // stored first
      const e = await failure(reader.readWindow({ x: 0, y: 0, width: 600, height: 400 }));
      expect(e.code).toBe("corrupt");
      expect(e.message).toContain(p("cog-cut.tif"));
      await reader.close();
    });

    test("a damaged deflate stream: corrupt, naming the block", async () => {
      await copyFile(p("cog.tif"), p("cog-bad.tif"));
      const offset = Number(
        await python(
          "import sys; from osgeo import gdal; ds = gdal.Open(sys.argv[1]); " +
            "print(ds.GetRasterBand(1).GetMetadataItem('BLOCK_OFFSET_1_1', 'TIFF'))",
          [p("cog-bad.tif")],
        ),
      );
      const fh = await open(p("cog-bad.tif"), "r+");
      await fh.write(new Uint8Array(16).fill(0x55), 0, 16, offset);
      await fh.close();
      const reader = await openRaster(p("cog-bad.tif"));
      const good = await reader.readWindow({ x: 0, y: 0, width: 128, height: 128 });
      expect(good.bands[0]!.some((v) => v !== 0)).toBe(true);
      const e = await failure(reader.readWindow({ x: 128, y: 128, width: 10, height: 10 }));
      expect(e.code).toBe("corrupt");
      expect(e.message).toMatch(/block \d+ does not decode as deflate/);
      await reader.close();
    });
  },
);
