import { describe, expect, it } from "vitest";
import { assembleCog, type TileReader } from "../../worker/io/tiff/cog-assemble.ts";
import type { LevelLayoutInput } from "../../worker/io/tiff/cog-layout.ts";
import { layoutCog } from "../../worker/io/tiff/cog-layout.ts";
import { levelTags } from "../../worker/io/tiff/cog-level-tags.ts";
import { resolveCogSpec } from "../../worker/io/tiff/cog-spec.ts";
import { memorySink } from "../helpers/cog-fixtures.ts";

const spec = resolveCogSpec(
  {
    width: 1500,
    height: 600,
    bandCount: 1,
    dataType: "uint8",
    tileSize: 512,
    crs: { epsg: 32631, wkt: null },
    geoTransform: [500000, 10, 0, 4000000, 0, -10],
    nodata: null,
  },
  "test",
);

/** Tiles of 2 bytes (shorter than the trailer), 3 MiB (a chunk of their own) and sizes in between. */
const COUNTS = [[5, 3 << 20, 2, 100_000, 3 << 20, 7], [2 << 20, 1], [4]];

const TILES = COUNTS.map((c, k) =>
  c.map((n, i) => {
    const data = new Uint8Array(n);
    for (let j = 0; j < n; j++) data[j] = (j * 31 + k * 7 + i * 13) & 255;
    return data;
  }),
);
const tileBytes = (k: number, i: number): Uint8Array => TILES[k]![i]!;

/** The file as the layout describes it, built the obvious way. */
function expected(header: Uint8Array): Buffer {
  const parts: Uint8Array[] = [header];
  for (let k = COUNTS.length - 1; k >= 0; k--) {
    COUNTS[k]!.forEach((n, i) => {
      const data = tileBytes(k, i);
      const leader = Buffer.alloc(4);
      leader.writeUInt32LE(n);
      const trailer = Buffer.alloc(4);
      trailer.set(data.subarray(Math.max(0, n - 4)), 4 - Math.min(4, n));
      parts.push(leader, data, trailer);
    });
  }
  return Buffer.concat(parts);
}

describe("COG assembly", () => {
  const levels: LevelLayoutInput[] = COUNTS.map((c, k) => ({
    tags: levelTags(spec, k),
    tileByteCounts: Uint32Array.from(c),
  }));
  const layout = layoutCog(levels, "auto", "test");

  const readers: [string, TileReader][] = [
    [
      "fills the buffer it is given",
      async (k, i, into) => {
        into.set(tileBytes(k, i));
        return into;
      },
    ],
    ["returns bytes of its own", async (k, i) => tileBytes(k, i)],
  ];
  for (const [name, reader] of readers) {
    it(`frames every tile in layout order, with a reader that ${name}`, async () => {
      const sink = memorySink();
      await assembleCog(layout, reader, sink);
      const got = Buffer.from(sink.bytes());
      expect(got.length).toBe(layout.totalBytes);
      expect(got.equals(expected(layout.header))).toBe(true);
    });
  }

  it("fails when a tile's bytes do not match the layout", async () => {
    const short: TileReader = async (k, i) => tileBytes(k, i).subarray(k === 1 && i === 1 ? 1 : 0);
    await expect(assembleCog(layout, short, memorySink())).rejects.toThrow(
      /out of step at level 1 tile 1: 0 bytes, expected 1/,
    );
  });
});
