/**
 * The pure COG layout: per-level tags and tile byte counts → the header bytes (TIFF header, GDAL's
 * structural-metadata "ghost" header, every IFD) and where each tile lands. Tile data follows the
 * header, smallest overview first, each level row-major, each tile framed by a 4-byte size leader
 * and a trailer repeating its last 4 bytes — the layout GDAL's COG driver writes and validates.
 */
import { IoError } from "../errors.ts";
import type { TiffTag } from "./cog-ifd.ts";
import { ifdSize, writeIfd } from "./cog-ifd.ts";
import { Tag } from "./ifd-tags.ts";

const GHOST_BODY =
  "LAYOUT=IFDS_BEFORE_DATA\nBLOCK_ORDER=ROW_MAJOR\nBLOCK_LEADER=SIZE_AS_UINT4\n" +
  "BLOCK_TRAILER=LAST_4_BYTES_REPEATED\nKNOWN_INCOMPATIBLE_EDITION=NO\n ";
export const GHOST_HEADER = `GDAL_STRUCTURAL_METADATA_SIZE=${String(GHOST_BODY.length).padStart(6, "0")} bytes\n${GHOST_BODY}`;

/** Leader (4) + trailer (4) around every tile. */
export const TILE_FRAMING = 8;

export interface LevelLayoutInput {
  /** Every tag of the level except TileOffsets and TileByteCounts. */
  readonly tags: readonly TiffTag[];
  /** Compressed size of each tile, row-major. */
  readonly tileByteCounts: Uint32Array;
}

export interface CogLayout {
  readonly bigTiff: boolean;
  /** Everything before the first tile's leader. */
  readonly header: Uint8Array;
  /** Per level (full resolution first), row-major: the file offset of each tile's data. */
  readonly tileOffsets: readonly Float64Array[];
  readonly totalBytes: number;
}

const MAX_CLASSIC = 0xffffffff;

function levelTags(level: LevelLayoutInput, offsets: ArrayLike<number>, bigTiff: boolean): TiffTag[] {
  return [
    ...level.tags,
    { tag: Tag.TileOffsets, type: bigTiff ? "LONG8" : "LONG", values: offsets },
    { tag: Tag.TileByteCounts, type: "LONG", values: level.tileByteCounts },
  ];
}

function place(levels: readonly LevelLayoutInput[], bigTiff: boolean) {
  const firstIfd = (bigTiff ? 16 : 8) + GHOST_HEADER.length;
  const ifdOffsets: number[] = [];
  let at = firstIfd + (firstIfd & 1);
  for (const level of levels) {
    ifdOffsets.push(at);
    const size = ifdSize(levelTags(level, level.tileByteCounts, bigTiff), bigTiff);
    at += size + (size & 1);
  }
  const headerBytes = at;
  const tileOffsets = levels.map((l) => new Float64Array(l.tileByteCounts.length));
  for (let k = levels.length - 1; k >= 0; k--) {
    const counts = levels[k]!.tileByteCounts;
    for (let i = 0; i < counts.length; i++) {
      tileOffsets[k]![i] = at + 4;
      at += counts[i]! + TILE_FRAMING;
    }
  }
  return { ifdOffsets, headerBytes, tileOffsets, totalBytes: at };
}

export function layoutCog(
  levels: readonly LevelLayoutInput[],
  bigTiff: boolean | "auto",
  uri: string,
): CogLayout {
  let big = bigTiff === true;
  let p = place(levels, big);
  if (!big && p.totalBytes > MAX_CLASSIC) {
    if (bigTiff === false) {
      throw new IoError(
        "invalid-argument",
        uri,
        `bigTiff: false, but the file needs ${p.totalBytes} bytes (> 4 GiB)`,
      );
    }
    big = true;
    p = place(levels, big);
  }
  const header = new Uint8Array(p.headerBytes);
  const view = new DataView(header.buffer);
  header.set([0x49, 0x49]);
  if (big) {
    view.setUint16(2, 43, true);
    view.setUint16(4, 8, true);
    view.setBigUint64(8, BigInt(p.ifdOffsets[0]!), true);
  } else {
    view.setUint16(2, 42, true);
    view.setUint32(4, p.ifdOffsets[0]!, true);
  }
  header.set(Buffer.from(GHOST_HEADER, "latin1"), big ? 16 : 8);
  levels.forEach((level, k) => {
    const next = p.ifdOffsets[k + 1] ?? 0;
    writeIfd(view, p.ifdOffsets[k]!, levelTags(level, p.tileOffsets[k]!, big), next, big);
  });
  return { bigTiff: big, header, tileOffsets: p.tileOffsets, totalBytes: p.totalBytes };
}
