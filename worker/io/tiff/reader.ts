import { IoError } from "../errors.ts";
import {
  type Block,
  type Crs,
  type DataType,
  type GeoTransform,
  isIntegerType,
  type TypedArray,
  typedArrayFor,
  type Window,
} from "../raster.ts";
import type { S3Options } from "../s3.ts";
import type { ByteSource } from "../source/byte-source.ts";
import { openSource } from "../source/open-source.ts";
import { PromiseLru } from "../source/promise-lru.ts";
import { type CogCheck, checkCogLayout } from "./cog-layout-check.ts";
import { crsOf, geoKeys, geoTransformOf, nodataOf } from "./geokeys.ts";
import { readHeader, readIfds } from "./ifd.ts";
import { type TiffImage, tiffImage } from "./ifd-image.ts";
import { compressionName } from "./ifd-tags.ts";
import { codecOf } from "./reader-decode.ts";
import { checkRequest, readImageWindow } from "./reader-window.ts";
import { type Rpc, rpcOf } from "./rpc.ts";

export type { CogCheck } from "./cog-layout-check.ts";
export type { Rpc } from "./rpc.ts";

export interface RasterLayout {
  readonly tiled: boolean;
  readonly blockWidth: number;
  readonly blockHeight: number;
  readonly interleave: "pixel" | "band";
  readonly compression: "none" | "deflate" | "lzw" | "packbits" | string;
  readonly predictor: 1 | 2 | 3;
  readonly bigTiff: boolean;
  readonly byteOrder: "little" | "big";
}

export interface RasterInfo {
  readonly uri: string;
  readonly width: number;
  readonly height: number;
  readonly bandCount: number;
  readonly dataType: DataType;
  readonly crs: Crs;
  readonly geoTransform: GeoTransform | null;
  readonly nodata: number | null;
  readonly layout: RasterLayout;
  readonly overviews: readonly { width: number; height: number; blockWidth: number; blockHeight: number }[];
  readonly cog: CogCheck;
  readonly rpc: Rpc | null;
}

export interface ReadOptions {
  /** 1-based band numbers, in the order wanted; all bands by default. */
  readonly bands?: readonly number[];
  /** 0 = full resolution, k = the k-th overview (largest first). */
  readonly level?: number;
  readonly signal?: AbortSignal;
  /**
   * Arrays to read into, one per requested band, each of the raster's data type and exactly
   * width × height long; the returned block holds them. Fresh arrays by default: callers that read
   * many windows can recycle theirs and spare the allocation (and garbage collection) per window.
   */
  readonly into?: readonly TypedArray[];
}

export interface RasterReader {
  readonly info: RasterInfo;
  readWindow(window: Window, opts?: ReadOptions): Promise<Block>;
  close(): Promise<void>;
}

export interface OpenRasterOptions {
  readonly s3?: S3Options;
  readonly signal?: AbortSignal;
  /** Run the COG check's per-block leader/trailer checks; by default only for local files, like GDAL's validator. */
  readonly fullCogCheck?: boolean;
  /**
   * Bound on the decoded blocks kept for later windows (neighbours, halos); 0 keeps none. A function
   * decides from the file's layout (undefined: the default).
   */
  readonly decodedCacheBytes?: number | ((layout: RasterLayout) => number | undefined);
}

const DECODED_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * Open a GeoTIFF by URI (file path, file://, s3://, http(s)://) through a block-cached source.
 * Fails at once, with an IoError naming the URI, when the file is not a TIFF, is damaged, or uses a
 * compression or sample type imagechain cannot decode.
 */
export async function openRaster(uri: string, opts: OpenRasterOptions = {}): Promise<RasterReader> {
  const src = openSource(uri, { s3: opts.s3 });
  try {
    return await openFromSource(src, opts);
  } catch (e) {
    await src.close();
    throw e;
  }
}

/** openRaster over a source the caller built (e.g. a wrapped or counting one). */
export async function openFromSource(src: ByteSource, opts: OpenRasterOptions = {}): Promise<RasterReader> {
  const { signal } = opts;
  const uri = src.uri;
  const header = await readHeader(src, signal);
  const ifds = await readIfds(src, header, signal);
  const main = tiffImage(ifds[0]!, uri, 0);
  const overviews = ifds
    .slice(1)
    .map((ifd, i) => {
      try {
        return tiffImage(ifd, uri, i + 1);
      } catch {
        return null; // 1-bit masks and other images imagechain does not read
      }
    })
    .filter(
      (im): im is TiffImage =>
        im !== null &&
        im.reducedResolution &&
        !im.mask &&
        im.samplesPerPixel === main.samplesPerPixel &&
        im.dataType === main.dataType,
    )
    .sort((a, b) => b.width - a.width);
  // Every level's codec is resolved now, so an undecodable file fails at open, not mid-chain.
  const levels = [main, ...overviews];
  const levelCodecs = levels.map((im) => codecOf(im, uri));
  const tags = ifds[0]!.tags;
  const keys = geoKeys(tags);
  const nodata = nodataOf(tags);
  const full = opts.fullCogCheck ?? !/^(s3|https?):\/\//.test(uri);
  const cog = await checkCogLayout(src, header, ifds, full, signal);

  const info: RasterInfo = {
    uri,
    width: main.width,
    height: main.height,
    bandCount: main.samplesPerPixel,
    dataType: main.dataType,
    crs: crsOf(keys),
    geoTransform: geoTransformOf(tags, keys),
    nodata,
    layout: {
      tiled: main.tiled,
      blockWidth: main.blockWidth,
      blockHeight: main.blockHeight,
      interleave: main.planar === 2 ? "band" : "pixel",
      compression: compressionName(main.compression),
      predictor: main.predictor,
      bigTiff: header.bigTiff,
      byteOrder: header.littleEndian ? "little" : "big",
    },
    overviews: overviews.map((o) => ({
      width: o.width,
      height: o.height,
      blockWidth: o.blockWidth,
      blockHeight: o.blockHeight,
    })),
    cog,
    rpc: rpcOf(tags),
  };
  const fill = fillValue(nodata, main.dataType);
  const cacheBytes =
    typeof opts.decodedCacheBytes === "function"
      ? opts.decodedCacheBytes(info.layout)
      : opts.decodedCacheBytes;
  const decoded = new PromiseLru<string, TypedArray>(cacheBytes ?? DECODED_CACHE_BYTES, (a) => a.byteLength);

  return {
    info,
    async readWindow(window, ropts = {}) {
      const level = ropts.level ?? 0;
      const image = levels[level];
      if (!Number.isInteger(level) || !image) {
        throw new IoError("invalid-argument", uri, `level ${level} does not exist (0..${levels.length - 1})`);
      }
      const bands = (ropts.bands ?? range(main.samplesPerPixel)).map((b) => b - 1);
      checkRequest(image, window, bands, uri, level);
      if (ropts.into) checkInto(ropts.into, image.dataType, window, bands.length, uri);
      return readImageWindow(
        { src, image, level, codec: levelCodecs[level]!, littleEndian: header.littleEndian, fill, decoded },
        window,
        bands,
        ropts.signal,
        ropts.into,
      );
    },
    close: () => src.close(),
  };
}

function checkInto(
  into: readonly TypedArray[],
  dataType: DataType,
  window: Window,
  bandCount: number,
  uri: string,
): void {
  const length = window.width * window.height;
  const kind = typedArrayFor(dataType, 0).constructor;
  if (into.length !== bandCount || into.some((a) => a.constructor !== kind || a.length !== length)) {
    throw new IoError(
      "invalid-argument",
      uri,
      `into: expected ${bandCount} ${dataType} array(s) of ${length} samples (the window's size)`,
    );
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

/** Sparse blocks read as nodata when the type can hold it (NaN nodata on an integer band cannot). */
function fillValue(nodata: number | null, dataType: DataType): number {
  if (nodata === null) return 0;
  if (isIntegerType(dataType) && !Number.isFinite(nodata)) return 0;
  return nodata;
}
