/**
 * The quicklook shell: read a small level of a raster whole, render it (colour map or RGB) and write it
 * as a PNG to a file or S3 through a sink, so a failure leaves no partial output.
 */
import { IoError } from "../errors.ts";
import { type Block, typedArrayFor } from "../raster.ts";
import type { S3Options } from "../s3.ts";
import { openSink } from "../sink/open.ts";
import { openRaster, type RasterReader } from "../tiff/reader.ts";
import { COLORMAPS, type ColormapName } from "./colormap.ts";
import { encodePng } from "./encode.ts";
import { renderQuicklook } from "./render.ts";

export const DEFAULT_QUICKLOOK_SIZE = 1024;

export interface QuicklookOptions {
  /** The smallest level whose larger side is at least this many pixels is read (default 1024). */
  readonly size?: number;
  /** For one band (default viridis); three bands are RGB. */
  readonly colormap?: ColormapName | "grey";
  /** Stretch every band over [min, max] instead of its 2nd–98th percentile. */
  readonly range?: readonly [number, number];
  /** 1-based: one band for a colour map, three for RGB; default 1,2,3 when there are three bands or more, else 1. */
  readonly bands?: readonly number[];
  readonly s3?: S3Options;
  readonly signal?: AbortSignal;
}

export interface QuicklookResult {
  readonly width: number;
  readonly height: number;
  /** 0 = full resolution, k = the k-th overview. */
  readonly level: number;
  readonly bands: readonly number[];
  readonly ranges: ([number, number] | null)[];
  readonly bytes: number;
}

/** Index of the smallest level (levels[0] is full resolution, then ever smaller) whose larger side ≥ size. */
export function pickLevel(levels: readonly { width: number; height: number }[], size: number): number {
  for (let k = levels.length - 1; k > 0; k--) {
    if (Math.max(levels[k]!.width, levels[k]!.height) >= size) return k;
  }
  return 0;
}

function checkOptions(uri: string, bandCount: number, opts: QuicklookOptions): number[] {
  const bad = (message: string) => new IoError("invalid-argument", uri, message);
  const size = opts.size ?? DEFAULT_QUICKLOOK_SIZE;
  if (!Number.isInteger(size) || size < 1) throw bad(`size must be a positive integer, not ${size}`);
  const bands = [...(opts.bands ?? (bandCount >= 3 ? [1, 2, 3] : [1]))];
  if (bands.length !== 1 && bands.length !== 3) {
    throw bad(`bands: a quicklook takes 1 band (colour map) or 3 (RGB), not ${bands.length}`);
  }
  for (const b of bands) {
    if (!Number.isInteger(b) || b < 1 || b > bandCount) {
      throw bad(
        `bands: band ${b} does not exist (the raster has ${bandCount} band${bandCount > 1 ? "s" : ""})`,
      );
    }
  }
  if (opts.colormap !== undefined) {
    if (opts.colormap !== "grey" && !(COLORMAPS as readonly string[]).includes(opts.colormap)) {
      throw bad(`colormap must be one of ${[...COLORMAPS, "grey"].join(", ")}, not '${opts.colormap}'`);
    }
    if (bands.length === 3) throw bad("colormap applies to one band; three bands are rendered as RGB");
  }
  if (opts.range) {
    const [min, max] = opts.range;
    if (!Number.isFinite(min) || !Number.isFinite(max) || !(min < max)) {
      throw bad(`range must be two finite numbers min < max, not ${min},${max}`);
    }
  }
  return bands;
}

/**
 * Read a whole level; when no overview is near the size (a plain GeoTIFF), sample every step-th row and
 * column (nearest, cell centres), reading only the rows it keeps, a block row at a time.
 */
async function readLevel(
  raster: RasterReader,
  level: number,
  size: number,
  bands: readonly number[],
  signal: AbortSignal | undefined,
): Promise<Block> {
  const { info } = raster;
  const dims = level === 0 ? { ...info, ...info.layout } : info.overviews[level - 1]!;
  const { width, height } = dims;
  const step = Math.max(1, Math.floor(Math.max(width, height) / size));
  if (step === 1) return raster.readWindow({ x: 0, y: 0, width, height }, { bands, level, signal });
  const ow = Math.ceil(width / step);
  const oh = Math.ceil(height / step);
  const source = (k: number, limit: number) => Math.min(k * step + (step >> 1), limit - 1);
  const out = bands.map(() => typedArrayFor(info.dataType, ow * oh));
  for (let j = 0; j < oh;) {
    // Output rows whose source rows share a block row come from one window.
    const y0 = source(j, height);
    const blockEnd = (Math.floor(y0 / dims.blockHeight) + 1) * dims.blockHeight;
    let j1 = j + 1;
    while (j1 < oh && source(j1, height) < blockEnd) j1++;
    const y1 = source(j1 - 1, height);
    const strip = await raster.readWindow(
      { x: 0, y: y0, width, height: y1 - y0 + 1 },
      { bands, level, signal },
    );
    for (let b = 0; b < bands.length; b++) {
      const src = strip.bands[b]!;
      const dst = out[b]!;
      for (let jj = j; jj < j1; jj++) {
        const row = (source(jj, height) - y0) * width;
        for (let i = 0; i < ow; i++) dst[jj * ow + i] = src[row + source(i, width)]!;
      }
    }
    j = j1;
  }
  return { width: ow, height: oh, dataType: info.dataType, bands: out };
}

/** Render a quicklook PNG of the raster at `inputUri` to `outputUri` (file path, file:// or s3://). */
export async function writeQuicklook(
  inputUri: string,
  outputUri: string,
  opts: QuicklookOptions = {},
): Promise<QuicklookResult> {
  const { signal } = opts;
  const raster = await openRaster(inputUri, { s3: opts.s3, signal });
  try {
    const { info } = raster;
    const bands = checkOptions(info.uri, info.bandCount, opts);
    const size = opts.size ?? DEFAULT_QUICKLOOK_SIZE;
    const level = pickLevel([info, ...info.overviews], size);
    const block = await readLevel(raster, level, size, bands, signal);
    const colormap = opts.colormap ?? "viridis";
    const { image, ranges } = renderQuicklook(block, info.nodata, { colormap, range: opts.range });
    // Colour-mapped RGB compresses 10-40% smaller unfiltered (measured on the demo scene and its NDVI).
    const filter = bands.length === 1 && colormap !== "grey" ? "none" : "adaptive";
    const png = encodePng(image, { text: { Software: "imagechain" }, filter });
    const sink = await openSink(outputUri, { s3: opts.s3 });
    try {
      await sink.write(png);
      await sink.close();
    } catch (e) {
      await sink.abort().catch(() => undefined);
      throw e;
    }
    return { width: image.width, height: image.height, level, bands, ranges, bytes: png.length };
  } finally {
    await raster.close();
  }
}
