import { describe, expect, it } from "vitest";
import type { CogSpec } from "../../worker/io/tiff/cog-spec.ts";
import { resolveCogSpec } from "../../worker/io/tiff/cog-spec.ts";
import type { LevelLayoutInput } from "../../worker/io/tiff/cog-layout.ts";
import { GHOST_HEADER, layoutCog } from "../../worker/io/tiff/cog-layout.ts";
import { levelTags } from "../../worker/io/tiff/cog-level-tags.ts";

const spec: CogSpec = {
  width: 1000,
  height: 700,
  bandCount: 3,
  dataType: "uint16",
  tileSize: 512,
  crs: { epsg: 32631, wkt: null },
  geoTransform: [500000, 10, 0, 4000000, 0, -10],
  nodata: 0,
};

function levels(counts: number[][]): LevelLayoutInput[] {
  const s = resolveCogSpec(spec, "test");
  return counts.map((c, k) => ({
    tags: levelTags(s, Math.min(k, s.levels.length - 1)),
    tileByteCounts: Uint32Array.from(c),
  }));
}

describe("COG layout", () => {
  it("puts the ghost header at 8, the first IFD right after it, then tiles smallest level first", () => {
    const layout = layoutCog(levels([[100, 200, 300, 400], [50]]), "auto", "test");
    const h = Buffer.from(layout.header);
    expect(layout.bigTiff).toBe(false);
    expect(h.subarray(0, 4).toString("hex")).toBe("49492a00");
    expect(h.readUInt32LE(4)).toBe(192); // 8 + 183 bytes of ghost header, rounded up to even
    expect(h.subarray(8, 8 + GHOST_HEADER.length).toString("latin1")).toBe(GHOST_HEADER);
    expect(GHOST_HEADER.startsWith("GDAL_STRUCTURAL_METADATA_SIZE=000140 bytes\n")).toBe(true);
    const start = layout.header.length;
    expect(Array.from(layout.tileOffsets[1]!)).toEqual([start + 4]);
    expect(Array.from(layout.tileOffsets[0]!)).toEqual([start + 62, start + 170, start + 378, start + 686]);
    expect(layout.totalBytes).toBe(start + 58 + 1000 + 8 * 4);
  });

  it("switches to BigTIFF by itself when offsets would pass 4 GiB, or refuses when told not to", () => {
    const huge = [[2_100_000_000, 2_100_000_000, 200_000_000, 1], [5]];
    const layout = layoutCog(levels(huge), "auto", "test");
    expect(layout.bigTiff).toBe(true);
    const h = Buffer.from(layout.header);
    expect([h.readUInt16LE(2), h.readUInt16LE(4), Number(h.readBigUInt64LE(8))]).toEqual([43, 8, 200]);
    expect(layout.tileOffsets[0]![3]).toBeGreaterThan(2 ** 32);
    expect(() => layoutCog(levels(huge), false, "s3://b/k.tif")).toThrow(/s3:\/\/b\/k.tif: bigTiff: false/);
    expect(layoutCog(levels([[1, 2, 3, 4], [5]]), true, "test").bigTiff).toBe(true);
  });
});

describe("COG spec validation", () => {
  const cases: [string, Partial<CogSpec>, RegExp][] = [
    ["tile size not a multiple of 16", { tileSize: 500 }, /tileSize: must be a multiple of 16, got 500/],
    ["nodata outside the type", { nodata: -1 }, /nodata: -1 is not a uint16 value/],
    ["fractional nodata for integers", { nodata: 0.5 }, /nodata: 0.5 is not a uint16 value/],
    ["zero width", { width: 0 }, /width\/height: must be positive integers/],
    ["deflate level", { level: 12 }, /level: must be 1..9, got 12/],
    ["a CRS without an EPSG code", { crs: { epsg: null, wkt: 'LOCAL_CS["x"]' } }, /only EPSG-coded CRSs/],
  ];
  for (const [name, patch, message] of cases) {
    it(`rejects ${name}, naming the output and the field`, () => {
      expect(() => resolveCogSpec({ ...spec, ...patch }, "file:///o.tif")).toThrow(message);
      expect(() => resolveCogSpec({ ...spec, ...patch }, "file:///o.tif")).toThrow(/^file:\/\/\/o.tif: /);
    });
  }
  it("fills in the documented defaults", () => {
    const s = resolveCogSpec({ ...spec, tileSize: undefined }, "x");
    expect([s.tileSize, s.compression, s.level, s.overviews, s.resampling, s.bigTiff]).toEqual([
      512,
      "deflate",
      4,
      "auto",
      "average",
      "auto",
    ]);
    expect(s.levels.map((l) => [l.width, l.height])).toEqual([
      [1000, 700],
      [500, 350],
    ]);
  });
});
