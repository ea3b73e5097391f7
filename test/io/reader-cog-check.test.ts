import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openRaster } from "../../worker/io/tiff/reader.ts";
import { hasGdal, makeRasters, python, type RasterSpec, readWithGdal, run } from "../helpers/gdal.ts";

const VALIDATE = `
import sys, json
from osgeo_utils.samples.validate_cloud_optimized_geotiff import validate
out = {}
for p in sys.argv[1:]:
    warnings, errors, _ = validate(p, full_check=True)
    out[p] = {'errors': errors, 'warnings': warnings}
print(json.dumps(out))
`;

const big = { width: 1100, height: 700, bands: 2, dataType: "uint16" } as const;

/** name → how it is made; `valid` is what GDAL's validator is expected to say (checked too). */
const CASES: Record<string, { spec: Omit<RasterSpec, "path">; addo?: boolean; valid: boolean }> = {
  "GDAL COG, deflate": {
    spec: { ...big, driver: "COG", options: ["COMPRESS=DEFLATE", "BLOCKSIZE=256"] },
    valid: true,
  },
  "GDAL COG, BigTIFF, lzw": {
    spec: { ...big, driver: "COG", options: ["COMPRESS=LZW", "BIGTIFF=YES", "BLOCKSIZE=256"] },
    valid: true,
  },
  "GDAL COG without overviews": {
    spec: { ...big, driver: "COG", options: ["OVERVIEWS=NONE", "BLOCKSIZE=512"] },
    valid: true,
  },
  "small GDAL COG": { spec: { ...big, width: 300, height: 200, driver: "COG", options: [] }, valid: true },
  "tiled GTiff + gdaladdo overviews": {
    spec: { ...big, options: ["TILED=YES", "COMPRESS=DEFLATE"] },
    addo: true,
    valid: false,
  },
  "tiled GTiff without overviews": { spec: { ...big, options: ["TILED=YES"] }, valid: true },
  "striped wide GTiff": { spec: { ...big, width: 1500, options: ["COMPRESS=DEFLATE"] }, valid: false },
  "striped narrow GTiff": { spec: { ...big, width: 900, options: [] }, valid: true },
};

let dir: string;
const path = (name: string) => join(dir, `${name.replace(/[^a-z0-9]+/gi, "_")}.tif`);
const MASKED = "COG with interleaved mask";
let oracle: Record<string, { errors: string[]; warnings: string[] }>;

describe.skipIf(!hasGdal && !process.env.CI)(
  "COG layout check agrees with validate_cloud_optimized_geotiff.py",
  () => {
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "imagechain-cog-check-"));
      await makeRasters(Object.entries(CASES).map(([name, c]) => ({ ...c.spec, path: path(name) })));
      for (const [name, c] of Object.entries(CASES)) {
        if (c.addo) await run("gdaladdo", ["-q", path(name), "2", "4"]);
      }
      // A COG with an internal mask interleaved with the imagery (MASK_INTERLEAVED_WITH_IMAGERY=YES).
      await makeRasters([{ ...big, bands: 1, dataType: "uint8", nodata: 0, path: path("mask source") }]);
      await run("gdal_translate", [
        "-q",
        "-of",
        "COG",
        "-mask",
        "1",
        "-a_nodata",
        "none",
        path("mask source"),
        path(MASKED),
      ]);
      // A COG whose block leader will be damaged.
      await makeRasters([{ ...big, driver: "COG", options: ["BLOCKSIZE=256"], path: path("broken leader") }]);
      oracle = JSON.parse(
        (await python(VALIDATE, [...Object.keys(CASES), MASKED].map(path))).toString(),
      ) as typeof oracle;
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    for (const [name, c] of Object.entries(CASES)) {
      test(name, async () => {
        const reader = await openRaster(path(name));
        await reader.close();
        const want = oracle[path(name)]!;
        expect(want.errors.length === 0).toBe(c.valid);
        expect(reader.info.cog.errors).toEqual(want.errors);
        expect(reader.info.cog.warnings).toEqual(want.warnings);
        expect(reader.info.cog.valid).toBe(c.valid);
      });
    }

    test("a COG with an interleaved mask: checked block by block, and its pixels still read", async () => {
      const reader = await openRaster(path(MASKED));
      expect(reader.info.cog.structuralMetadata["MASK_INTERLEAVED_WITH_IMAGERY"]).toBe("YES");
      expect(oracle[path(MASKED)]).toEqual({ errors: [], warnings: [] });
      expect(reader.info.cog).toMatchObject({ valid: true, errors: [], warnings: [] });
      expect(reader.info.overviews).toHaveLength(2); // the mask's own overviews are not image levels
      const gdal = await readWithGdal(path(MASKED));
      const got = await reader.readWindow({ x: 0, y: 0, width: big.width, height: big.height });
      expect(Buffer.from(got.bands[0]!.buffer).equals(Buffer.from(gdal.bands[0]!.buffer))).toBe(true);
      await reader.close();
    });

    test("the ghost header's key/values are parsed", async () => {
      const reader = await openRaster(path("GDAL COG, deflate"));
      await reader.close();
      expect(reader.info.cog.structuralMetadata).toMatchObject({
        LAYOUT: "IFDS_BEFORE_DATA",
        BLOCK_ORDER: "ROW_MAJOR",
        BLOCK_LEADER: "SIZE_AS_UINT4",
        BLOCK_TRAILER: "LAST_4_BYTES_REPEATED",
      });
      const plain = await openRaster(path("tiled GTiff without overviews"));
      await plain.close();
      expect(plain.info.cog.structuralMetadata).toEqual({});
    });

    test("a damaged block leader is reported like the validator's full check", async () => {
      const file = path("broken leader");
      const offset = Number(
        await python(
          "import sys; from osgeo import gdal; " +
            "ds = gdal.Open(sys.argv[1]); print(ds.GetRasterBand(1).GetMetadataItem('BLOCK_OFFSET_1_0', 'TIFF'))",
          [file],
        ),
      );
      const fh = await open(file, "r+");
      await fh.write(new Uint8Array([0xff, 0xff]), 0, 2, offset - 4); // the leader's low bytes
      await fh.close();
      const reader = await openRaster(file);
      await reader.close();
      const want = JSON.parse((await python(VALIDATE, [file])).toString()) as typeof oracle;
      expect(want[file]!.errors).toHaveLength(1);
      expect(reader.info.cog.valid).toBe(false);
      expect(reader.info.cog.errors).toEqual(want[file]!.errors);
    });
  },
);
