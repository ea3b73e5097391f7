/**
 * A floor under any `imagechain run` of a chain on a file that uses node:zlib: zlib's work alone, in
 * this process with every core busy (node:zlib runs on libuv's thread pool), with no process start,
 * predictor, copy, op, overview building, scratch or assembly. Reading: inflating every full-resolution
 * tile of the source. Writing: deflating, at the chain's level, as many tiles as the output COG holds (overviews
 * included), each the predicted bytes of a full-resolution tile of an output already written.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { inflate } from "node:zlib";
import { fileSource } from "../../worker/io/source/file-source.ts";
import { deflateAsync } from "../../worker/io/tiff/encode/deflate.ts";
import { mapLimited } from "../../worker/run/map-limited.ts";
import { numbers } from "../../worker/io/tiff/ifd-image.ts";
import { Tag } from "../../worker/io/tiff/ifd-tags.ts";
import { readHeader, readIfds } from "../../worker/io/tiff/ifd.ts";

const inflateAsync = promisify(inflate);

export interface CodecFloor {
  readonly readSeconds: number;
  readonly writeSeconds: number;
  readonly tilesRead: number;
  readonly tilesWritten: number;
}

/** The compressed tiles of every image in a tiled TIFF, full resolution first. */
async function compressedTiles(uri: string): Promise<Buffer[][]> {
  const path = fileURLToPath(uri);
  const source = fileSource(uri, path);
  const ifds = await readIfds(source, await readHeader(source)).finally(() => source.close());
  const bytes = await readFile(path);
  return ifds.map((ifd) => {
    const offsets = numbers(ifd.tags, Tag.TileOffsets) ?? [];
    const counts = numbers(ifd.tags, Tag.TileByteCounts) ?? [];
    return offsets.map((at, i) => bytes.subarray(at, at + counts[i]!));
  });
}

async function timed<T>(
  items: readonly T[],
  concurrency: number,
  f: (item: T) => Promise<unknown>,
): Promise<number> {
  const started = performance.now();
  await mapLimited(items, concurrency, f);
  return (performance.now() - started) / 1000;
}

export async function codecFloor(
  sourceUri: string,
  outputUri: string,
  level: number,
  concurrency = 4,
): Promise<CodecFloor> {
  const source = (await compressedTiles(sourceUri))[0]!; // a run reads full resolution only
  const readSeconds = await timed(source, concurrency, (tile) => inflateAsync(tile));
  const images = await compressedTiles(outputUri);
  const predicted = await Promise.all(images[0]!.map((tile) => inflateAsync(tile)));
  const count = images.reduce((sum, tiles) => sum + tiles.length, 0);
  const writeSeconds = await timed(
    Array.from({ length: count }, (_, i) => predicted[i % predicted.length]!),
    concurrency,
    (tile) => deflateAsync(tile, level),
  );
  return { readSeconds, writeSeconds, tilesRead: source.length, tilesWritten: count };
}
