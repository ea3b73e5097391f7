import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { fromArrayBuffer } from "geotiff";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATA_TYPES } from "../../worker/io/raster.ts";
import type { CogSpec } from "../../worker/io/tiff/cog-spec.ts";
import { type CogWriterOptions, createCogWriter } from "../../worker/io/tiff/cog-writer.ts";
import { isGeographicEpsg } from "../../worker/io/tiff/cog-epsg-geographic.ts";
import { addAll, makeImage, memorySink, tileCoords, tileOf } from "../helpers/cog-fixtures.ts";
import { hasGdal, python } from "../helpers/gdal.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cog-determinism-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function encode(
  spec: CogSpec,
  order?: [number, number][],
  options: CogWriterOptions = {},
): Promise<Uint8Array> {
  const T = spec.tileSize ?? 512;
  const image = makeImage(spec.dataType, spec.width, spec.height, spec.bandCount);
  const writer = await createCogWriter(spec, { tmpDir: dir, ...options });
  await addAll(writer, image, spec.dataType, spec.width, spec.height, T, order);
  const sink = memorySink();
  const { bytes } = await writer.finish(sink);
  expect(sink.state).toEqual({ closed: true, aborted: false });
  const out = sink.bytes();
  expect(out.length).toBe(bytes);
  return out;
}

const base = {
  crs: { epsg: 32631, wkt: null },
  geoTransform: [500000, 10, 0, 4000000, 0, -10],
  nodata: null,
} as const;

describe("deterministic bytes", () => {
  it("the same pixels give the same bytes whatever the order tiles arrive in", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          width: fc.integer({ min: 1, max: 90 }),
          height: fc.integer({ min: 1, max: 90 }),
          bandCount: fc.integer({ min: 1, max: 3 }),
          dataType: fc.constantFrom(...DATA_TYPES),
          compression: fc.constantFrom("deflate" as const, "lzw" as const, "none" as const),
          resampling: fc.constantFrom("average" as const, "nearest" as const),
          seed: fc.integer(),
        }),
        async ({ seed, ...p }) => {
          const spec: CogSpec = { ...base, ...p, tileSize: 16 };
          const rowOrder = tileCoords(p.width, p.height, 16);
          const shuffled = fc.sample(fc.shuffledSubarray(rowOrder, { minLength: rowOrder.length }), {
            seed,
            numRuns: 1,
          })[0]!;
          // One run keeps waiting quarters in memory, the other spools every one of them.
          const a = await encode(spec, rowOrder, { concurrency: 1 });
          const b = await encode(spec, shuffled, { concurrency: 5, quarterMemoryBytes: 0 });
          expect(Buffer.compare(a, b)).toBe(0);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("tiles never added are written as nodata", async () => {
    const spec: CogSpec = {
      ...base,
      width: 40,
      height: 20,
      bandCount: 1,
      dataType: "int16",
      tileSize: 16,
      nodata: -7,
    };
    const writer = await createCogWriter(spec, { tmpDir: dir });
    const image = makeImage("int16", 40, 20, 1);
    await writer.addTile(1, 0, tileOf(image, "int16", 40, 20, 16, 1, 0));
    const sink = memorySink();
    await writer.finish(sink);
    const tiff = await fromArrayBuffer(sink.bytes().buffer);
    const [band] = (await (
      await tiff.getImage(0)
    ).readRasters({ window: [0, 0, 40, 20] })) as unknown as Int16Array[];
    expect(band![0]).toBe(-7); // tile (0, 0) was never added
    expect(band![16]).toBe(image[0]![16]); // tile (1, 0) was
    expect(band![19 * 40 + 39]).toBe(-7);
  });

  it("rejects tiles outside the grid, of the wrong shape, or added twice", async () => {
    const spec: CogSpec = { ...base, width: 40, height: 20, bandCount: 1, dataType: "uint8", tileSize: 16 };
    const writer = await createCogWriter(spec, { tmpDir: dir, uri: "s3://b/out.tif" });
    const image = makeImage("uint8", 40, 20, 1);
    await expect(writer.addTile(3, 0, tileOf(image, "uint8", 40, 20, 16, 0, 0))).rejects.toThrow(
      /outside the 3x2 tile grid/,
    );
    await expect(writer.addTile(2, 0, tileOf(image, "uint8", 8, 8, 16, 0, 0))).rejects.toThrow(
      /s3:\/\/b\/out.tif: tile \(2, 0\): expected 1 band\(s\) of uint8 8x16/,
    );
    await writer.addTile(0, 0, tileOf(image, "uint8", 40, 20, 16, 0, 0));
    await expect(writer.addTile(0, 0, tileOf(image, "uint8", 40, 20, 16, 0, 0))).rejects.toThrow(
      /added twice/,
    );
    await writer.abort();
  });
});

describe("georeferencing", () => {
  it("tells geographic EPSG codes from projected ones", () => {
    for (const code of [4326, 4258, 4269, 4267, 4019, 4979, 7844, 6318])
      expect(isGeographicEpsg(code), String(code)).toBe(true);
    for (const code of [32631, 3857, 2154, 27700, 3035, 5070, 4978])
      expect(isGeographicEpsg(code), String(code)).toBe(false);
  });
});

const INSPECT = `
import sys, json
from osgeo import gdal
from osgeo_utils.samples.validate_cloud_optimized_geotiff import validate
gdal.UseExceptions()
out = []
for path in sys.argv[1:]:
    ds = gdal.Open(path)
    srs = ds.GetSpatialRef()
    b = ds.GetRasterBand(1)
    out.append({'errors': validate(ds, full_check=True)[1], 'big': open(path, 'rb').read(4).hex(),
                'epsg': int(srs.GetAuthorityCode(None)), 'geographic': bool(srs.IsGeographic()),
                'gt': list(ds.GetGeoTransform()), 'nodata': str(b.GetNoDataValue()),
                'checksum': [ds.GetRasterBand(i + 1).Checksum() for i in range(ds.RasterCount)],
                'metadata': ds.GetMetadataItem('SENSOR')})
print(json.dumps(out))
`;

describe.skipIf(!hasGdal && !process.env.CI)("GDAL reads every header variant", () => {
  it("forced BigTIFF, EPSG:4326, a rotated geotransform, NaN nodata and GDAL metadata", async () => {
    const spec: CogSpec = { ...base, width: 70, height: 50, bandCount: 2, dataType: "float32", tileSize: 32 };
    const variants: CogSpec[] = [
      spec,
      { ...spec, bigTiff: true },
      { ...spec, crs: { epsg: 4326, wkt: null }, geoTransform: [2.5, 0.001, 0, 48.9, 0, -0.001] },
      {
        ...spec,
        geoTransform: [1000, 8, 2, 5000, 1.5, -9],
        nodata: NaN,
        metadata: { SENSOR: "S2B <MSI> & co" },
      },
    ];
    const paths: string[] = [];
    for (const [i, v] of variants.entries()) {
      paths.push(join(dir, `variant-${i}.tif`));
      await writeFile(paths.at(-1)!, await encode(v));
    }
    const found = JSON.parse((await python(INSPECT, paths)).toString()) as Record<string, unknown>[];
    const checksum = found[0]!["checksum"];
    expect(found.map((f) => f["errors"])).toEqual([[], [], [], []]);
    expect(found.map((f) => f["big"])).toEqual(["49492a00", "49492b00", "49492a00", "49492a00"]);
    expect(found.map((f) => f["checksum"])).toEqual([checksum, checksum, checksum, checksum]);
    expect(found.map((f) => [f["epsg"], f["geographic"]])).toEqual([
      [32631, false],
      [32631, false],
      [4326, true],
      [32631, false],
    ]);
    expect(found.map((f) => f["gt"])).toEqual(variants.map((v) => [...v.geoTransform!]));
    expect(found.map((f) => f["nodata"])).toEqual(["None", "None", "None", "nan"]);
    expect(found[3]!["metadata"]).toBe("S2B <MSI> & co");
  });
});
