import type { ByteRange, ByteSource } from "../source/byte-source.ts";
import type { Ifd, TiffHeader } from "./ifd.ts";
import { numbers } from "./ifd-image.ts";
import { Tag } from "./ifd-tags.ts";

/** Result of the COG layout check; messages are those of GDAL's validate_cloud_optimized_geotiff.py. */
export interface CogCheck {
  readonly valid: boolean;
  readonly errors: string[];
  readonly warnings: string[];
  /** Key/values of GDAL's ghost header (GDAL_STRUCTURAL_METADATA), empty when there is none. */
  readonly structuralMetadata: Readonly<Record<string, string>>;
}

/** What the check needs of an IFD; lenient, so 1-bit masks and unreadable sample types still count. */
interface Layout {
  readonly ifdOffset: number;
  readonly width: number;
  readonly height: number;
  readonly blockWidth: number;
  readonly blockHeight: number;
  /** Offsets and byte counts of band 1's blocks, row-major. */
  readonly offsets: readonly number[];
  readonly byteCounts: readonly number[];
  readonly mask: Layout | null;
}

const PATTERN_LENGTH = "GDAL_STRUCTURAL_METADATA_SIZE=000000 bytes\n".length;

function layoutOf(ifd: Ifd): Layout & { subfile: number } {
  const t = ifd.tags;
  const one = (tag: number, fallback: number) => numbers(t, tag)?.[0] ?? fallback;
  const width = one(Tag.ImageWidth, 0);
  const height = one(Tag.ImageLength, 0);
  const tiled = t.has(Tag.TileWidth);
  const blockWidth = tiled ? one(Tag.TileWidth, width) : width;
  const blockHeight = tiled ? one(Tag.TileLength, height) : Math.min(one(Tag.RowsPerStrip, height), height);
  const count = Math.ceil(width / Math.max(1, blockWidth)) * Math.ceil(height / Math.max(1, blockHeight));
  return {
    ifdOffset: ifd.offset,
    width,
    height,
    blockWidth,
    blockHeight,
    offsets: (numbers(t, tiled ? Tag.TileOffsets : Tag.StripOffsets) ?? []).slice(0, count),
    byteCounts: (numbers(t, tiled ? Tag.TileByteCounts : Tag.StripByteCounts) ?? []).slice(0, count),
    mask: null,
    subfile: one(Tag.NewSubfileType, 0),
  };
}

/** GDAL's ghost header right after the TIFF header: "GDAL_STRUCTURAL_METADATA_SIZE=nnnnnn bytes\nK=V\n…". */
async function ghostHeader(src: ByteSource, at: number, size: number, signal?: AbortSignal) {
  if (at + PATTERN_LENGTH > size) return null;
  const [head] = await src.read([{ offset: at, length: PATTERN_LENGTH }], signal);
  const line = new TextDecoder("latin1").decode(head);
  const m = /^GDAL_STRUCTURAL_METADATA_SIZE=(\d{6}) bytes\n$/.exec(line);
  if (!m) return null;
  const length = Math.min(Number(m[1]), size - at - PATTERN_LENGTH);
  const [body] = await src.read([{ offset: at + PATTERN_LENGTH, length }], signal);
  const text = new TextDecoder("latin1").decode(body);
  const values: Record<string, string> = {};
  for (const entry of text.split("\n")) {
    const eq = entry.indexOf("=");
    if (eq > 0) values[entry.slice(0, eq).trim()] = entry.slice(eq + 1).trim();
  }
  return { length, text, values };
}

/**
 * Re-implementation of GDAL's validate_cloud_optimized_geotiff.py over the IFDs already parsed.
 * `full` adds the per-block leader/trailer/order checks (the validator's full check, which it runs
 * by default on local files); it reads 12 bytes around every block, so remote callers may skip it.
 * External .ovr files are not looked for: imagechain reads only the one object.
 */
export async function checkCogLayout(
  src: ByteSource,
  header: TiffHeader,
  ifds: readonly Ifd[],
  full: boolean,
  signal?: AbortSignal,
): Promise<CogCheck> {
  const errors: string[] = [];
  const warnings: string[] = [];
  const all = ifds.map(layoutOf);
  const main = all[0]!;
  const masks = all.filter((l) => (l.subfile & 4) !== 0);
  const withMask = (l: Layout): Layout => ({
    ...l,
    mask: masks.find((m) => m.width === l.width && m.height === l.height) ?? null,
  });
  const ovrs = all.slice(1).filter((l) => (l.subfile & 1) !== 0 && (l.subfile & 4) === 0);
  const images = [main, ...ovrs].map(withMask);

  if (main.width > 512 || main.height > 512) {
    if (main.blockWidth === main.width && main.blockWidth > 1024) {
      errors.push("The file is greater than 512xH or Wx512, but is not tiled");
    }
    if (ovrs.length === 0) {
      warnings.push(
        "The file is greater than 512xH or Wx512, it is recommended to include internal overviews",
      );
    }
  }

  const size = await src.size(signal);
  let structural: Record<string, string> = {};
  let expectedIfd = header.bigTiff ? 16 : 8;
  const ghost = await ghostHeader(src, expectedIfd, size, signal);
  if (ghost) structural = ghost.values;
  if (main.ifdOffset !== 8 && main.ifdOffset !== 16) {
    if (ghost) {
      if (ghost.text.includes("KNOWN_INCOMPATIBLE_EDITION=YES")) {
        errors.push("KNOWN_INCOMPATIBLE_EDITION=YES is declared in the file");
      }
      expectedIfd += PATTERN_LENGTH + ghost.length;
      expectedIfd += expectedIfd % 2;
    }
    if (expectedIfd !== main.ifdOffset) {
      errors.push(`The offset of the main IFD should be ${expectedIfd}. It is ${main.ifdOffset} instead`);
    }
  }
  const declared = (flag: string) => ghost !== null && ghost.text.includes(flag);
  const flags = {
    rowMajor: declared("BLOCK_ORDER=ROW_MAJOR"),
    leader: declared("BLOCK_LEADER=SIZE_AS_UINT4"),
    trailer: declared("BLOCK_TRAILER=LAST_4_BYTES_REPEATED"),
    maskInterleaved: declared("MASK_INTERLEAVED_WITH_IMAGERY=YES"),
  };

  ovrs.forEach((ovr, i) => {
    const prev = i === 0 ? main : ovrs[i - 1]!;
    if (ovr.width > prev.width || ovr.height > prev.height) {
      errors.push(
        i === 0
          ? "First overview has larger dimension than main band"
          : `Overview of index ${i} has larger dimension than overview of index ${i - 1}`,
      );
    }
    if (ovr.blockWidth === ovr.width && ovr.blockWidth > 1024)
      errors.push(`Overview of index ${i} is not tiled`);
    if (ovr.ifdOffset < prev.ifdOffset) {
      errors.push(
        i === 0
          ? `The offset of the IFD for overview of index ${i} is ${ovr.ifdOffset}, whereas it should be greater ` +
              `than the one of the main image, which is at byte ${prev.ifdOffset}`
          : `The offset of the IFD for overview of index ${i} is ${ovr.ifdOffset}, whereas it should be greater ` +
              `than the one of index ${i - 1}, which is at byte ${prev.ifdOffset}`,
      );
    }
  });

  const dataOffsets = images.map((l) => l.offsets.find((o) => o > 0) ?? 0);
  const lastIfd = images.at(-1)!.ifdOffset;
  if (dataOffsets.at(-1)! !== 0 && dataOffsets.at(-1)! < lastIfd) {
    errors.push(
      ovrs.length > 0
        ? "The offset of the first block of the smallest overview should be after its IFD"
        : "The offset of the first block of the image should be after its IFD",
    );
  }
  for (let i = dataOffsets.length - 2; i > 0; i--) {
    if (dataOffsets[i] !== 0 && dataOffsets[i]! < dataOffsets[i + 1]!) {
      errors.push(
        `The offset of the first block of overview of index ${i - 1} should be after the one of the overview of index ${i}`,
      );
    }
  }
  if (dataOffsets.length >= 2 && dataOffsets[0] !== 0 && dataOffsets[0]! < dataOffsets[1]!) {
    errors.push(
      `The offset of the first block of the main resolution image should be after the one of the overview of index ${ovrs.length - 1}`,
    );
  }

  if (full && (flags.rowMajor || flags.leader || flags.trailer || flags.maskInterleaved)) {
    const bands: { name: string; layout: Layout; interleaved: boolean }[] = [];
    images.forEach((layout, i) => {
      const name = i === 0 ? "Main resolution image" : `Overview ${i - 1}`;
      bands.push({ name, layout, interleaved: flags.maskInterleaved });
      if (layout.mask) {
        bands.push({
          name: `Mask band of ${i === 0 ? "main resolution image" : `overview ${i - 1}`}`,
          layout: layout.mask,
          interleaved: false,
        });
      }
    });
    for (const band of bands) {
      errors.push(...(await checkBlocks(src, band.name, band.layout, flags, band.interleaved, signal)));
    }
  }
  return { valid: errors.length === 0, errors, warnings, structuralMetadata: structural };
}

/** The validator's full_check_band: block order, leader and trailer bytes, mask placement. */
async function checkBlocks(
  src: ByteSource,
  name: string,
  band: Layout,
  flags: { rowMajor: boolean; leader: boolean; trailer: boolean },
  maskInterleaved: boolean,
  signal?: AbortSignal,
): Promise<string[]> {
  const errors: string[] = [];
  let mask = maskInterleaved ? band.mask : null;
  if (mask && (mask.blockWidth !== band.blockWidth || mask.blockHeight !== band.blockHeight)) {
    errors.push(`${name}: mask block size is different from its imagery band`);
    mask = null;
  }
  const across = Math.ceil(band.width / band.blockWidth);
  const ranges: ByteRange[] = [];
  band.offsets.forEach((offset, i) => {
    if (offset > 0 && flags.leader && offset >= 4) ranges.push({ offset: offset - 4, length: 4 });
    if (offset > 0 && flags.trailer && band.byteCounts[i]! >= 4) {
      ranges.push({ offset: offset + band.byteCounts[i]! - 4, length: 8 });
    }
  });
  const bytes = await src.read(ranges, signal);
  let r = 0;
  let last = 0;
  const extra = (flags.leader ? 4 : 0) + (flags.trailer ? 4 : 0);
  band.offsets.forEach((o, i) => {
    let offset = o;
    const at = `(${i % across}, ${Math.floor(i / across)})`;
    const count = band.byteCounts[i] ?? 0;
    if (offset > 0) {
      if (flags.rowMajor && offset < last)
        errors.push(`${name}: offset of block ${at} is smaller than previous block`);
      if (flags.leader && offset >= 4) {
        const b = bytes[r++]!;
        const leader = new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
        if (leader !== count) {
          errors.push(`${name}: for block ${at}, size in leader bytes is ${leader} instead of ${count}`);
        }
      }
      if (flags.trailer && count >= 4) {
        const b = bytes[r++]!;
        if (b[0] !== b[4] || b[1] !== b[5] || b[2] !== b[6] || b[3] !== b[7]) {
          errors.push(`${name}: for block ${at}, trailer bytes are invalid`);
        }
      }
    }
    const maskOffset = mask?.offsets[i] ?? 0;
    if (offset > 0 && maskOffset > 0) {
      const expected = offset + count + extra;
      if (maskOffset !== expected) {
        errors.push(
          `Mask of ${name}: for block ${at}, offset is ${maskOffset}, whereas ${expected} was expected`,
        );
      }
    } else if (offset === 0 && maskOffset > 0) {
      if (flags.rowMajor && maskOffset < last) {
        errors.push(`Mask of ${name}: offset of block ${at} is smaller than previous block`);
      }
      offset = maskOffset;
    }
    last = offset;
  });
  return errors;
}
