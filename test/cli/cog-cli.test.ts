import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { imagechain } from "../helpers/cli.ts";
import { gdalinfoJson, gdalTranslate, hasGdal, python, readWithGdal, run } from "../helpers/gdal.ts";
import { type S3Fixture, startS3 } from "../helpers/s3rver.ts";

const needsGdal = !hasGdal && !process.env.CI;

// A 700x500 3-band UInt16 striped LZW GeoTIFF with a CRS, a geotransform and nodata: the kind of plain GeoTIFF
// users convert. Pixels are deterministic and structured (gradients + a pattern), so compression is realistic.
const MAKE_INPUT = `
import sys, numpy as np
from osgeo import gdal, osr
gdal.UseExceptions()
w, h = 700, 500
yy, xx = np.mgrid[0:h, 0:w]
drv = gdal.GetDriverByName('GTiff')
ds = drv.Create(sys.argv[1], w, h, 3, gdal.GDT_UInt16, ['COMPRESS=LZW', 'PREDICTOR=2'])
ds.SetGeoTransform([500000, 20, 0, 4600000, 0, -20])
srs = osr.SpatialReference(); srs.ImportFromEPSG(32632)
ds.SetProjection(srs.ExportToWkt())
for b in range(3):
    a = ((xx * (b + 1) * 7 + yy * 13 + ((xx // 37) ^ (yy // 23)) * 211) % 4000 + 100).astype(np.uint16)
    a[0:10, 0:10] = 0
    band = ds.GetRasterBand(b + 1); band.SetNoDataValue(0); band.WriteArray(a)
ds = None
`;

let dir: string;
let input: string;
let s3: S3Fixture;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "imagechain-cli-"));
  input = join(dir, "input.tif");
  if (hasGdal) await python(MAKE_INPUT, [input]);
  s3 = await startS3();
  await s3.createBucket("src-bucket");
  await s3.createBucket("dst-bucket");
});
afterAll(async () => {
  await s3.stop();
  await rm(dir, { recursive: true, force: true });
});

function s3Env(): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_S3: s3.options.endpoint!,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "S3RVER",
    AWS_SECRET_ACCESS_KEY: "S3RVER",
  };
}

async function checksums(path: string): Promise<number[]> {
  return (await gdalinfoJson(path, ["-checksum"])).bands.map((b) => b.checksum!);
}

describe.skipIf(needsGdal)("imagechain cog and info", () => {
  test("cog rewrites a striped LZW GeoTIFF as a valid COG with the same pixels and georeference", async () => {
    const out = join(dir, "out.tif");
    const r = await imagechain(["cog", input, out, "--tile", "256"]);
    expect(r.stderr).toContain("wrote");
    expect(r.code).toBe(0);
    expect(await checksums(out)).toEqual(await checksums(input));
    const info = await gdalinfoJson(out);
    expect(info.metadata?.IMAGE_STRUCTURE?.LAYOUT).toBe("COG");
    expect(info.stac?.["proj:epsg"]).toBe(32632);
    expect(info.geoTransform).toEqual([500000, 20, 0, 4600000, 0, -20]);
    expect(info.bands.map((b) => Number(b.noDataValue))).toEqual([0, 0, 0]);
    const validator = await run("/usr/bin/python3", [
      "-m",
      "osgeo_utils.samples.validate_cloud_optimized_geotiff",
      out,
    ]);
    expect(validator.stdout.toString()).toContain("is a valid cloud optimized GeoTIFF");
    // 700x500 with 256 tiles: overviews until one tile holds the smallest level.
    expect((info.bands[0] as unknown as { overviews: unknown[] }).overviews).toHaveLength(2);
  });

  test("cog output is deterministic and every compression keeps the pixels", async () => {
    const a = join(dir, "a.tif");
    const b = join(dir, "b.tif");
    expect((await imagechain(["cog", input, a, "--compression", "lzw"])).code).toBe(0);
    expect((await imagechain(["cog", input, b, "--compression", "lzw"])).code).toBe(0);
    expect(Buffer.compare(await readFile(a), await readFile(b))).toBe(0);
    const none = join(dir, "none.tif");
    expect(
      (await imagechain(["cog", input, none, "--compression", "none", "--overviews", "none"])).code,
    ).toBe(0);
    const [x, y] = await Promise.all([readWithGdal(none), readWithGdal(input)]);
    expect(x.bands).toEqual(y.bands);
    expect(await checksums(a)).toEqual(await checksums(input));
  });

  test("info describes a COG, as text and as JSON", async () => {
    const out = join(dir, "info.tif");
    expect((await imagechain(["cog", input, out])).code).toBe(0);
    const text = await imagechain(["info", out]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("700 x 500, 3 bands, uint16");
    expect(text.stdout).toContain("EPSG:32632");
    expect(text.stdout).toMatch(/COG\s+valid/);
    const json = await imagechain(["info", out, "--json"]);
    const info = JSON.parse(json.stdout);
    expect(info).toMatchObject({
      width: 700,
      height: 500,
      bandCount: 3,
      dataType: "uint16",
      crs: { epsg: 32632 },
      geoTransform: [500000, 20, 0, 4600000, 0, -20],
      nodata: 0,
      rpc: null,
      cog: { valid: true },
    });
    expect(info.layout).toMatchObject({ tiled: true, blockWidth: 512, compression: "deflate", predictor: 2 });
    // As GDAL's validator says: a striped image wider than 1024 pixels is no COG.
    const wide = join(dir, "wide.tif");
    await gdalTranslate(["-outsize", "1100", "500", input, wide]);
    const plain = await imagechain(["info", wide]);
    expect(plain.stdout).toMatch(/COG\s+not a valid COG/);
    expect(plain.stdout).toContain("error: The file is greater than 512xH or Wx512, but is not tiled");
    expect(plain.stdout).toContain("striped 1100x");
  });

  test("cog reads from and writes to S3", async () => {
    await s3.client.send(
      new PutObjectCommand({ Bucket: "src-bucket", Key: "scene.tif", Body: await readFile(input) }),
    );
    const r = await imagechain(
      ["cog", "s3://src-bucket/scene.tif", "s3://dst-bucket/scene-cog.tif"],
      s3Env(),
    );
    expect(r.stderr).toContain("wrote");
    expect(r.code).toBe(0);
    const got = await s3.client.send(new GetObjectCommand({ Bucket: "dst-bucket", Key: "scene-cog.tif" }));
    const local = join(dir, "from-s3.tif");
    await writeFile(local, await got.Body!.transformToByteArray());
    expect(await checksums(local)).toEqual(await checksums(input));
    const info = await imagechain(["info", "s3://dst-bucket/scene-cog.tif", "--json"], s3Env());
    expect(JSON.parse(info.stdout)).toMatchObject({ width: 700, cog: { valid: true } });
  });

  describe("bad input: exit 2, one line naming the URI, nothing written", () => {
    const cases: {
      name: string;
      make: () => Promise<string>;
      env?: () => Record<string, string>;
      cause: RegExp;
    }[] = [
      {
        name: "missing file",
        make: async () => join(dir, "nope.tif"),
        cause: /no such|not found|does not exist/i,
      },
      {
        name: "not a TIFF",
        make: async () => {
          const p = join(dir, "text.tif");
          writeFileSync(p, "this is not an image\n".repeat(20));
          return p;
        },
        cause: /not a TIFF/i,
      },
      {
        name: "truncated TIFF",
        make: async () => {
          const p = join(dir, "truncated.tif");
          await gdalTranslate(["-co", "TILED=YES", "-co", "COMPRESS=DEFLATE", input, p]);
          await truncate(p, 40_000);
          return p;
        },
        cause: /truncat|corrupt|past the end|short/i,
      },
      {
        name: "unsupported compression",
        make: async () => {
          const p = join(dir, "zstd.tif");
          await gdalTranslate(["-co", "COMPRESS=ZSTD", input, p]);
          return p;
        },
        cause: /compression/i,
      },
      {
        name: "missing S3 object",
        make: async () => "s3://src-bucket/missing.tif",
        env: s3Env,
        cause: /no such|not found/i,
      },
      {
        name: "wrong S3 credentials",
        make: async () => {
          await s3.client.send(
            new PutObjectCommand({ Bucket: "src-bucket", Key: "c.tif", Body: await readFile(input) }),
          );
          return "s3://src-bucket/c.tif";
        },
        // s3rver checks the access key id, not SigV4 signatures.
        env: () => ({ ...s3Env(), AWS_ACCESS_KEY_ID: "NOT-A-KEY" }),
        cause: /access denied|signature|credential/i,
      },
    ];
    for (const c of cases) {
      test(c.name, async () => {
        const uri = await c.make();
        const outName = `bad-${c.name.replace(/\W+/g, "-")}.tif`;
        const local = await imagechain(["cog", uri, join(dir, outName)], c.env?.() ?? {});
        expect(local.code).toBe(2);
        const lines = local.stderr.trim().split("\n");
        expect(lines).toHaveLength(1);
        expect(lines[0]).toContain(uri.startsWith("s3://") ? uri : uri.split("/").pop()!);
        expect(lines[0]).toMatch(c.cause);
        expect(readdirSync(dir).filter((f) => f.includes(outName.replace(".tif", "")))).toEqual([]);
        const toS3 = await imagechain(["cog", uri, `s3://dst-bucket/${outName}`], {
          ...s3Env(),
          ...(c.env?.() ?? {}),
        });
        expect(toS3.code).toBe(2);
        const listed = await s3.client.send(
          new ListObjectsV2Command({ Bucket: "dst-bucket", Prefix: "bad-" }),
        );
        expect(listed.Contents ?? []).toEqual([]);
      });
    }
  });

  test("usage errors exit 2", async () => {
    expect((await imagechain(["cog", input])).code).toBe(2);
    expect((await imagechain(["cog", input, join(dir, "x.tif"), "--tile", "100"])).code).toBe(2);
    expect((await imagechain(["nonsense"])).code).toBe(2);
    expect(existsSync(join(dir, "x.tif"))).toBe(false);
  });
});
