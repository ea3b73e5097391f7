import { IoError } from "../errors.ts";
import type { DataType } from "../raster.ts";
import type { Ifd, TagValue } from "./ifd.ts";
import { Tag } from "./ifd-tags.ts";

/** One image of a TIFF (full resolution, overview or mask), as the decoder needs it. */
export interface TiffImage {
  readonly ifdOffset: number;
  readonly width: number;
  readonly height: number;
  readonly tiled: boolean;
  /** Tile size, or (width, RowsPerStrip) for strips. */
  readonly blockWidth: number;
  readonly blockHeight: number;
  readonly blocksAcross: number;
  readonly blocksDown: number;
  readonly samplesPerPixel: number;
  readonly dataType: DataType;
  readonly bytesPerSample: number;
  /** 1 = pixel interleaved (chunky), 2 = band sequential (planar). */
  readonly planar: 1 | 2;
  readonly compression: number;
  readonly predictor: 1 | 2 | 3;
  readonly offsets: readonly number[];
  readonly byteCounts: readonly number[];
  readonly reducedResolution: boolean;
  readonly mask: boolean;
}

const TYPES: Readonly<Record<string, DataType>> = {
  "1:8": "uint8",
  "2:8": "int8",
  "1:16": "uint16",
  "2:16": "int16",
  "1:32": "uint32",
  "2:32": "int32",
  "3:32": "float32",
  "3:64": "float64",
};

export function numbers(tags: ReadonlyMap<number, TagValue>, tag: number): readonly number[] | undefined {
  const v = tags.get(tag);
  return typeof v === "string" ? undefined : v;
}

export function text(tags: ReadonlyMap<number, TagValue>, tag: number): string | undefined {
  const v = tags.get(tag);
  return typeof v === "string" ? v : undefined;
}

/** Interpret an IFD; `uri` and `index` name the image in errors. */
export function tiffImage(ifd: Ifd, uri: string, index: number): TiffImage {
  const t = ifd.tags;
  const where = `IFD ${index} (offset ${ifd.offset})`;
  const one = (tag: number, fallback?: number): number => {
    const v = numbers(t, tag)?.[0] ?? fallback;
    if (v === undefined) throw new IoError("corrupt", uri, `${where} lacks required tag ${tag}`);
    return v;
  };
  const width = one(Tag.ImageWidth);
  const height = one(Tag.ImageLength);
  const samplesPerPixel = one(Tag.SamplesPerPixel, 1);
  const bits = numbers(t, Tag.BitsPerSample) ?? [1];
  const formats = numbers(t, Tag.SampleFormat) ?? [1];
  if (bits.some((b) => b !== bits[0]) || formats.some((f) => f !== formats[0])) {
    throw new IoError("unsupported", uri, `${where}: bands of different sample types are not supported`);
  }
  const dataType = TYPES[`${formats[0]}:${bits[0]}`];
  if (!dataType) {
    throw new IoError(
      "unsupported",
      uri,
      `${where}: ${bits[0]}-bit samples of format ${formats[0]} are not supported`,
    );
  }
  const planarCode = one(Tag.PlanarConfiguration, 1);
  const planar = planarCode === 2 && samplesPerPixel > 1 ? 2 : 1;
  const predictorCode = one(Tag.Predictor, 1);
  if (predictorCode !== 1 && predictorCode !== 2 && predictorCode !== 3) {
    throw new IoError("unsupported", uri, `${where}: predictor ${predictorCode} is not supported`);
  }
  const tiled = t.has(Tag.TileWidth);
  const blockWidth = tiled ? one(Tag.TileWidth) : width;
  const blockHeight = tiled ? one(Tag.TileLength) : Math.min(one(Tag.RowsPerStrip, height), height);
  const offsets = numbers(t, tiled ? Tag.TileOffsets : Tag.StripOffsets) ?? [];
  const byteCounts = numbers(t, tiled ? Tag.TileByteCounts : Tag.StripByteCounts) ?? [];
  const blocksAcross = Math.ceil(width / blockWidth);
  const blocksDown = Math.ceil(height / blockHeight);
  const expected = blocksAcross * blocksDown * (planar === 2 ? samplesPerPixel : 1);
  if (width <= 0 || height <= 0 || blockWidth <= 0 || blockHeight <= 0) {
    throw new IoError("corrupt", uri, `${where}: empty image or block size`);
  }
  if (offsets.length < expected || byteCounts.length < expected) {
    throw new IoError("corrupt", uri, `${where}: ${offsets.length} block offsets for ${expected} blocks`);
  }
  const subfile = one(Tag.NewSubfileType, 0);
  return {
    ifdOffset: ifd.offset,
    width,
    height,
    tiled,
    blockWidth,
    blockHeight,
    blocksAcross,
    blocksDown,
    samplesPerPixel,
    dataType,
    bytesPerSample: bits[0]! / 8,
    planar,
    compression: one(Tag.Compression, 1),
    predictor: predictorCode,
    offsets,
    byteCounts,
    reducedResolution: (subfile & 1) !== 0,
    mask: (subfile & 4) !== 0,
  };
}
