/**
 * What a task leaves for others, each product only where a reader will look for it (see destinations):
 * raw tiles of its exported layers for tile tasks (and their edge strips for halo readers of other lanes); for a pyramid tile, its half-resolution quarter for the
 * overview task above it (a quarter of the bytes a whole tile would take) and its encoded COG tile for
 * every output it belongs to (compressed once, here).
 */
import type { Block, TypedArray } from "../io/raster.ts";
import { bytesPerSample, cropBlock } from "../io/raster.ts";
import { encodeTile } from "../io/tiff/encode/tile-encoder.ts";
import { downsample2x } from "../io/tiff/overview.ts";
import type { WorkerContext } from "./context.ts";
import { edgeKey, edgeWidth, readAcrossLanes, stripWindows } from "./edges.ts";
import { downsampling, tileEncoding } from "./output-cog.ts";
import {
  areasOf,
  destinations,
  encodedBy,
  encodedKey,
  pyramidLayer,
  quarterKey,
  rawKey,
  type Destinations,
  type TilePosition,
} from "./products.ts";
import { tileFileBytes, tileFileChunks } from "./tile-file.ts";

export async function putProducts(
  ctx: WorkerContext,
  task: number,
  lane: number,
  pos: TilePosition,
  layers: ReadonlyMap<string, Block>,
): Promise<number> {
  const { plan } = ctx;
  let bytes = 0;
  const raw = destinations(plan, task, lane, "tiles");
  const edge =
    raw.shared && !ctx.scratch.oneArea && readAcrossLanes(plan, task) ? edgeWidth(plan, pos.stage) : 0;
  for (const [layer, block] of layers) {
    bytes += await putTile(ctx, raw, lane, rawKey(layer, pos.col, pos.row), block);
    if (edge === 0) continue;
    const strips = stripWindows({ x: 0, y: 0, width: block.width, height: block.height }, edge);
    for (const side of ["left", "right"] as const) {
      const { x, y, width, height } = strips[side];
      const strip = cropBlock(block, x, y, width, height);
      const chunks = tileFileChunks(strip);
      await ctx.scratch.put("shared", edgeKey(layer, pos.col, pos.row, side), chunks);
      bytes += tileFileBytes(strip);
    }
  }
  const pyramid = pyramidLayer(plan, pos.stage);
  if (pyramid === null) return bytes;
  const block = layers.get(pyramid)!;
  const feeds = encodedBy(plan, pos.stage);
  const up = destinations(plan, task, lane, "overview");
  if (up.lane || up.shared) {
    const cog = ctx.cogs[feeds[0]!.output]!;
    const half = cog.tileSize / 2;
    const kernel = downsampling(cog);
    const bands: TypedArray[] = block.bands.map((band) => {
      const q = ctx.pool.take(cog.dataType, half * half);
      downsample2x(band, block.width, block.width, block.height, q, half, kernel);
      return q;
    });
    try {
      const quarter: Block = { width: half, height: half, dataType: cog.dataType, bands };
      bytes += await putTile(ctx, up, lane, quarterKey(pyramid, pos.col, pos.row), quarter);
    } finally {
      ctx.pool.give(bands);
    }
  }
  for (const { output, level } of feeds) bytes += await putEncoded(ctx, output, level, pos, block);
  return bytes;
}

async function putTile(ctx: WorkerContext, dest: Destinations, lane: number, key: string, block: Block) {
  const areas = areasOf(dest, lane, ctx.scratch.oneArea);
  const chunks = tileFileChunks(block);
  for (const area of areas) await ctx.scratch.put(area, key, chunks);
  return tileFileBytes(block) * areas.length;
}

/** Encode a pyramid tile for output `output` and put it in shared scratch, where the assembly reads it. */
async function putEncoded(
  ctx: WorkerContext,
  output: number,
  level: number,
  pos: TilePosition,
  block: Block,
): Promise<number> {
  const enc = tileEncoding(ctx.cogs[output]!);
  const buffer = ctx.pool.bytes(
    enc.tileSize * enc.tileSize * enc.samplesPerPixel * bytesPerSample(enc.dataType),
  );
  try {
    const tile = { bands: block.bands, stride: block.width, width: block.width, height: block.height };
    const encoded = await encodeTile(tile, enc, buffer);
    await ctx.scratch.put("shared", encodedKey(output, level, pos.col, pos.row), [encoded]);
    return encoded.length;
  } finally {
    ctx.pool.give([buffer]);
  }
}
