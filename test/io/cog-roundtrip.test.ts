import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromArrayBuffer } from "geotiff";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DataType, GeoTransform, TypedArray } from "../../worker/io/raster.ts";
import { DATA_TYPES } from "../../worker/io/raster.ts";
import { openSink } from "../../worker/io/sink/open.ts";
import type { CogSpec } from "../../worker/io/tiff/cog-spec.ts";
import { createCogWriter } from "../../worker/io/tiff/cog-writer.ts";
import type { Compression } from "../../worker/io/tiff/encode/tile-encoder.ts";
import { addAll, bytesOf, makeImage } from "../helpers/cog-fixtures.ts";
import { gdalinfoJson, hasGdal, python } from "../helpers/gdal.ts";

const W = 300;
const H = 200;
const T = 128; // 3x2 tiles with partial edges; overviews 150x100 and 75x50
const GT: GeoTransform = [500000, 10, 0, 4000000, 0, -10];

interface Case {
  readonly name: string;
  readonly path: string;
  readonly dataType: DataType;
  readonly bands: number;
  readonly compression: Compression;
}

/** One Python run for every file: validator, structure, georeference and a hash of each band as GDAL reads it. */
const INSPECT = `
import sys, json, hashlib
from osgeo import gdal
from osgeo_utils.samples.validate_cloud_optimized_geotiff import validate
gdal.UseExceptions()

def overview_matches(ds):
    # GDAL's own AVERAGE from our full resolution, compared with our first overview
    mem = gdal.Translate('', ds, format='MEM')
    mem.BuildOverviews('AVERAGE', [2])
    return all(ds.GetRasterBand(i + 1).GetOverview(0).ReadRaster() == mem.GetRasterBand(i + 1).GetOverview(0).ReadRaster()
               for i in range(ds.RasterCount))

out = []
for path in json.loads(sys.argv[1]):
    ds = gdal.Open(path)
    _, errors, _ = validate(ds, full_check=True)
    b1 = ds.GetRasterBand(1)
    srs = ds.GetSpatialRef()
    out.append({
        'errors': errors,
        'layout': ds.GetMetadataItem('LAYOUT', 'IMAGE_STRUCTURE'),
        'epsg': int(srs.GetAuthorityCode(None)) if srs is not None else None,
        'geographic': bool(srs.IsGeographic()) if srs is not None else None,
        'gt': list(ds.GetGeoTransform()),
        'nodata': b1.GetNoDataValue(),
        'overviews': [[b1.GetOverview(i).XSize, b1.GetOverview(i).YSize] for i in range(b1.GetOverviewCount())],
        'hashes': [hashlib.sha256(ds.GetRasterBand(i + 1).ReadRaster()).hexdigest() for i in range(ds.RasterCount)],
        'overviewMatchesGdal': overview_matches(ds),
    })
print(json.dumps(out))
`;

/** GDAL's own COG driver on an image of the same size: the overview sizes it makes. */
const GDAL_OVERVIEWS = `
import sys, json
from osgeo import gdal
gdal.UseExceptions()
w, h, t = map(int, sys.argv[1:4])
src = gdal.GetDriverByName('MEM').Create('', w, h, 1, gdal.GDT_Byte)
ds = gdal.GetDriverByName('COG').CreateCopy('/vsimem/ref.tif', src, options=['BLOCKSIZE=%d' % t])
b = ds.GetRasterBand(1)
print(json.dumps([[b.GetOverview(i).XSize, b.GetOverview(i).YSize] for i in range(b.GetOverviewCount())]))
`;

/**
 * GDAL 3.6 reads int8 as unsigned bytes when averaging, and averages 32-bit integers and float64 in
 * float32 precision; the writer's averages are exact, so they match GDAL's only for these types.
 */
const GDAL_EXACT_AVERAGE = new Set<DataType>(["uint8", "uint16", "int16", "float32"]);

type Inspection = {
  errors: string[];
  layout: string | null;
  epsg: number | null;
  geographic: boolean | null;
  gt: number[];
  nodata: number | null;
  overviews: number[][];
  hashes: string[];
  overviewMatchesGdal: boolean;
};

const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

let dir: string;
const cases: Case[] = [];

async function writeCog(path: string, spec: CogSpec): Promise<void> {
  const image = makeImage(spec.dataType, spec.width, spec.height, spec.bandCount);
  const writer = await createCogWriter(spec, { tmpDir: dir });
  await addAll(writer, image, spec.dataType, spec.width, spec.height, spec.tileSize ?? 512);
  await writer.finish(await openSink(path));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cog-roundtrip-"));
  const writes: Promise<void>[] = [];
  for (const dataType of DATA_TYPES) {
    for (const bands of [1, 3, 4]) {
      for (const compression of ["deflate", "lzw", "none"] as const) {
        const name = `${dataType}-${bands}b-${compression}`;
        const path = join(dir, `${name}.tif`);
        cases.push({ name, path, dataType, bands, compression });
        const spec: CogSpec = {
          width: W,
          height: H,
          bandCount: bands,
          dataType,
          tileSize: T,
          compression,
          crs: { epsg: 32631, wkt: null },
          geoTransform: GT,
          nodata: dataType.startsWith("u") ? 0 : -1,
        };
        writes.push(writeCog(path, spec));
      }
    }
  }
  await Promise.all(writes);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("COG round trip through geotiff.js", () => {
  it("reads back every data type x band count x compression pixel for pixel, with overviews", async () => {
    for (const c of cases) {
      const tiff = await fromArrayBuffer(new Uint8Array(await readFile(c.path)).buffer);
      expect(await tiff.getImageCount(), c.name).toBe(3);
      const image = await tiff.getImage(0);
      expect([image.getWidth(), image.getHeight(), image.getSamplesPerPixel()], c.name).toEqual([
        W,
        H,
        c.bands,
      ]);
      expect(image.getGDALNoData(), c.name).toBe(c.dataType.startsWith("u") ? 0 : -1);
      const rasters = (await image.readRasters({ interleave: false })) as unknown as TypedArray[];
      const expected = makeImage(c.dataType, W, H, c.bands);
      rasters.forEach((r, b) => {
        expect(r.constructor, c.name).toBe(expected[b]!.constructor);
        expect(sha256(bytesOf(r)), `${c.name} band ${b + 1}`).toBe(sha256(bytesOf(expected[b]!)));
      });
      const ov = await tiff.getImage(2);
      expect([ov.getWidth(), ov.getHeight()], c.name).toEqual([75, 50]);
    }
  });
});

describe.skipIf(!hasGdal && !process.env.CI)("COG round trip through GDAL", () => {
  it("GDAL reads identical pixels, LAYOUT=COG, EPSG, geotransform, nodata; the validator accepts every file", async () => {
    const found = JSON.parse(
      (await python(INSPECT, [JSON.stringify(cases.map((c) => c.path))])).toString(),
    ) as Inspection[];
    const gdalOverviews = JSON.parse(
      (await python(GDAL_OVERVIEWS, [String(W), String(H), String(T)])).toString(),
    );
    expect(gdalOverviews).toEqual([
      [150, 100],
      [75, 50],
    ]);
    cases.forEach((c, i) => {
      const f = found[i]!;
      const expected = makeImage(c.dataType, W, H, c.bands).map((a) => sha256(bytesOf(a)));
      expect(f, c.name).toEqual({
        errors: [],
        layout: "COG",
        epsg: 32631,
        geographic: false,
        gt: [...GT],
        nodata: c.dataType.startsWith("u") ? 0 : -1,
        overviews: gdalOverviews,
        hashes: expected,
        overviewMatchesGdal: GDAL_EXACT_AVERAGE.has(c.dataType),
      });
    });
  });

  it("gdalinfo -json reports LAYOUT=COG, the CRS and nodata", async () => {
    const info = await gdalinfoJson(cases[0]!.path);
    expect(info.metadata?.["IMAGE_STRUCTURE"]?.["LAYOUT"]).toBe("COG");
    expect(info.stac?.["proj:epsg"]).toBe(32631);
    expect(info.geoTransform).toEqual([...GT]);
    expect(info.bands[0]!.noDataValue).toBe(0);
  });
});
