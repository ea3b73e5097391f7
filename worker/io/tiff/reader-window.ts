import { IoError } from "../errors.ts";
import { type Block, type TypedArray, typedArrayFor, type Window } from "../raster.ts";
import type { ByteRange, ByteSource } from "../source/byte-source.ts";
import type { PromiseLru } from "../source/promise-lru.ts";
import type { Codec } from "./codecs/codec.ts";
import type { TiffImage } from "./ifd-image.ts";
import { blockRows, decodeBlock } from "./reader-decode.ts";

export interface WindowRead {
  readonly src: ByteSource;
  readonly image: TiffImage;
  /** Level of `image` (0 = full resolution), part of the decoded-block cache key. */
  readonly level: number;
  readonly codec: Codec;
  readonly littleEndian: boolean;
  /** Value for pixels of sparse blocks (byte count 0); 0 when the file declares no nodata. */
  readonly fill: number;
  /** Decoded blocks by "level:index", shared by the reads of one reader (neighbouring windows, halos). */
  readonly decoded: PromiseLru<string, TypedArray>;
}

interface BlockJob {
  readonly index: number;
  readonly bx: number;
  readonly by: number;
  /** Which output bands this block feeds, and from which sample of a pixel. */
  readonly copies: readonly { readonly out: number; readonly sample: number }[];
}

/**
 * Read a window of 0-based `bands`: fetch every intersecting block that is not already decoded in
 * one (coalesced) source read, decode them concurrently (Deflate on the thread pool), and copy each
 * block's rows into the output (`into`, or new arrays) as soon as it is ready.
 */
export async function readImageWindow(
  read: WindowRead,
  win: Window,
  bands: readonly number[],
  signal?: AbortSignal,
  into?: readonly TypedArray[],
): Promise<Block> {
  const { image } = read;
  const out = into ? [...into] : bands.map(() => typedArrayFor(image.dataType, win.width * win.height));

  const jobs: BlockJob[] = [];
  const perBand = image.blocksAcross * image.blocksDown;
  const bx0 = Math.floor(win.x / image.blockWidth);
  const bx1 = Math.floor((win.x + win.width - 1) / image.blockWidth);
  const by0 = Math.floor(win.y / image.blockHeight);
  const by1 = Math.floor((win.y + win.height - 1) / image.blockHeight);
  for (let by = by0; by <= by1; by++) {
    for (let bx = bx0; bx <= bx1; bx++) {
      const index = by * image.blocksAcross + bx;
      if (image.planar === 1) {
        jobs.push({ index, bx, by, copies: bands.map((sample, o) => ({ out: o, sample })) });
      } else {
        bands.forEach((band, o) =>
          jobs.push({ index: band * perBand + index, bx, by, copies: [{ out: o, sample: 0 }] }),
        );
      }
    }
  }
  const stored = jobs.filter((j) => image.byteCounts[j.index]! > 0 && image.offsets[j.index]! > 0);
  // Stored blocks cover the whole window; only sparse ones leave pixels that need the fill value
  // (new arrays already hold 0).
  if (stored.length < jobs.length && (into || read.fill !== 0)) for (const a of out) a.fill(read.fill);
  const blocks = stored.map((job) => read.decoded.get(`${read.level}:${job.index}`));
  const missing = stored.filter((_, i) => !blocks[i]);
  if (missing.length > 0) {
    const fetched = fetchAndDecode(read, missing, signal);
    missing.forEach((job, i) => read.decoded.set(`${read.level}:${job.index}`, fetched[i]!));
    let m = 0;
    blocks.forEach((b, i) => (blocks[i] = b ?? fetched[m++]));
  }
  await Promise.all(
    stored.map(async (job, i) => {
      let samples: TypedArray;
      try {
        samples = await blocks[i]!;
      } catch (e) {
        // A block shared with a read that was aborted must not fail this one: fetch it again.
        if (signal?.aborted || (e as Error | undefined)?.name !== "AbortError") throw e;
        samples = await fetchAndDecode(read, [job], signal)[0]!;
      }
      signal?.throwIfAborted();
      copyBlock(image, samples, job, win, out);
    }),
  );
  return { width: win.width, height: win.height, dataType: image.dataType, bands: out };
}

/** One source read for all the blocks, then one decode promise per block. */
function fetchAndDecode(
  read: WindowRead,
  jobs: readonly BlockJob[],
  signal?: AbortSignal,
): Promise<TypedArray>[] {
  const { image, src } = read;
  const ranges: ByteRange[] = jobs.map((j) => ({
    offset: image.offsets[j.index]!,
    length: image.byteCounts[j.index]!,
  }));
  const raws = src.read(ranges, signal);
  return jobs.map(async (job, i) =>
    decodeBlock(image, read.codec, (await raws)[i]!, job.index, read.littleEndian, src.uri),
  );
}

function copyBlock(
  image: TiffImage,
  samples: TypedArray,
  job: BlockJob,
  win: Window,
  out: TypedArray[],
): void {
  const spp = image.planar === 1 ? image.samplesPerPixel : 1;
  const left = job.bx * image.blockWidth;
  const top = job.by * image.blockHeight;
  const x0 = Math.max(win.x, left);
  const x1 = Math.min(win.x + win.width, left + image.blockWidth, image.width);
  const y0 = Math.max(win.y, top);
  const y1 = Math.min(win.y + win.height, top + blockRows(image, job.index));
  const n = x1 - x0;
  for (let y = y0; y < y1; y++) {
    const from = ((y - top) * image.blockWidth + (x0 - left)) * spp;
    const to = (y - win.y) * win.width + (x0 - win.x);
    for (const { out: o, sample } of job.copies) {
      const dst = out[o]!;
      if (spp === 1) {
        dst.set(samples.subarray(from, from + n), to);
      } else {
        for (let c = 0, s = from + sample; c < n; c++, s += spp) dst[to + c] = samples[s]!;
      }
    }
  }
}

/** Reject windows and band lists that do not fit the image, naming what was asked. */
export function checkRequest(
  image: TiffImage,
  win: Window,
  bands: readonly number[],
  uri: string,
  level: number,
) {
  const { x, y, width, height } = win;
  if (![x, y, width, height].every(Number.isInteger) || width <= 0 || height <= 0) {
    throw new IoError("invalid-argument", uri, `window ${JSON.stringify(win)} must be positive integers`);
  }
  if (x < 0 || y < 0 || x + width > image.width || y + height > image.height) {
    throw new IoError(
      "invalid-argument",
      uri,
      `window ${width}x${height}+${x}+${y} is outside the ${image.width}x${image.height} image (level ${level})`,
    );
  }
  if (bands.length === 0) throw new IoError("invalid-argument", uri, "no bands requested");
  for (const b of bands) {
    if (!Number.isInteger(b) || b < 0 || b >= image.samplesPerPixel) {
      throw new IoError(
        "invalid-argument",
        uri,
        `band ${b + 1} does not exist (bands 1..${image.samplesPerPixel})`,
      );
    }
  }
}
