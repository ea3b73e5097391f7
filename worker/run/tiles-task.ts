/**
 * A task of a tiles stage: its fused steps computed one after another on one tile, in memory, each from
 * its inputs' footprints (sources read by range, upstream stages' tiles from scratch); then the exported
 * steps' tiles written raw where their readers look, and encoded once for every output they feed.
 */
import type { Block, Window } from "../io/raster.ts";
import { cropBlock, typedArrayFor } from "../io/raster.ts";
import { encodeTile } from "../io/tiff/encode/tile-encoder.ts";
import { footprintRegion } from "../ops/footprint.ts";
import type { KernelInput } from "../ops/kernel.ts";
import { opOf } from "../ops/registry.ts";
import type { TaskResult, WorkerContext } from "./context.ts";
import { tileEncoding } from "./output-cog.ts";
import { encodedBy, encodedKey, rawDestinations, rawKey, type TilePosition } from "./products.ts";
import { decodeTileFile, encodeTileFile } from "./tile-file.ts";

export function tileWindow(
  ctx: WorkerContext,
  width: number,
  height: number,
  col: number,
  row: number,
): Window {
  const T = ctx.plan.spec.tiling.tileSize;
  const x = col * T;
  const y = row * T;
  return { x, y, width: Math.min(T, width - x), height: Math.min(T, height - y) };
}

export async function runTilesTask(
  ctx: WorkerContext,
  task: number,
  pos: TilePosition,
  lane: number,
): Promise<TaskResult> {
  const { plan } = ctx;
  const stage = plan.stages[pos.stage]!;
  const window = tileWindow(ctx, stage.width, stage.height, pos.col, pos.row);
  const computed = new Map<string, Block>();
  const sourceReads = new Map<string, Promise<Block>>();
  for (const name of stage.steps) {
    const step = ctx.steps.get(name)!;
    const op = opOf(step.op);
    const grid = plan.grids.get(name)!;
    const inputs = new Map<string, KernelInput>();
    for (const [alias, ref] of Object.entries(step.inputs)) {
      const inputGrid = plan.grids.get(ref)!;
      const fp = op.footprint(step.params, alias, inputGrid, grid);
      const region = footprintRegion(fp, window, inputGrid.width, inputGrid.height);
      if (region === null) continue; // the tile lies outside this input: the kernel sees no block for it
      let block = computed.get(ref);
      if (block === undefined && ctx.sources.has(ref)) {
        const key = `${ref}@${region.x},${region.y},${region.width},${region.height}`;
        let read = sourceReads.get(key);
        if (!read) sourceReads.set(key, (read = ctx.sources.get(ref)!.readWindow(region)));
        block = await read;
      }
      block ??= await readLayer(ctx, ref, region, lane);
      inputs.set(alias, { block, window: region, grid: inputGrid });
    }
    computed.set(name, op.kernel!(step.params, inputs, { window, grid }));
  }

  let scratchBytes = 0;
  for (const layer of stage.exports) {
    scratchBytes += await putRaw(ctx, task, lane, rawKey(layer, pos.col, pos.row), computed.get(layer)!);
  }
  for (const { output, level } of encodedBy(plan, pos.stage)) {
    const block = computed.get(plan.spec.outputs[output]!.step)!;
    scratchBytes += await putEncoded(ctx, output, level, pos, block);
  }
  return { scratchBytes };
}

/** Write a task's raw tile where its readers will look (see rawDestinations); returns the bytes stored. */
export async function putRaw(ctx: WorkerContext, task: number, lane: number, key: string, block: Block) {
  const dest = rawDestinations(ctx.plan, task, lane);
  const areas: (number | "shared")[] = [];
  if (dest.lane && !ctx.scratch.oneArea) areas.push(lane);
  if (dest.shared || (dest.lane && ctx.scratch.oneArea)) areas.push("shared");
  if (areas.length === 0) return 0;
  const bytes = encodeTileFile(block);
  for (const area of areas) await ctx.scratch.put(area, key, bytes);
  return bytes.length * areas.length;
}

/** Encode a pyramid tile for output `output` and put it in shared scratch, where the assembly reads it. */
export async function putEncoded(
  ctx: WorkerContext,
  output: number,
  level: number,
  pos: TilePosition,
  block: Block,
): Promise<number> {
  const enc = tileEncoding(ctx.cogs[output]!);
  const buffer = new Uint8Array(
    enc.tileSize * enc.tileSize * enc.samplesPerPixel * block.bands[0]!.BYTES_PER_ELEMENT,
  );
  const tile = { bands: block.bands, stride: block.width, width: block.width, height: block.height };
  const encoded = await encodeTile(tile, enc, buffer);
  await ctx.scratch.put("shared", encodedKey(output, level, pos.col, pos.row), encoded);
  return encoded.length;
}

/** A raw tile of `layer` from scratch (this lane's area first, then shared). */
export async function readRawTile(ctx: WorkerContext, layer: string, col: number, row: number, lane: number) {
  const key = rawKey(layer, col, row);
  const bytes = await ctx.scratch.get(key, lane);
  if (bytes === null)
    throw new Error(`scratch tile ${key} is missing (deleted or lost before its reader ran)`);
  return decodeTileFile(bytes, key);
}

/** The region `region` of an upstream step's output, put together from the scratch tiles it spans. */
async function readLayer(ctx: WorkerContext, layer: string, region: Window, lane: number): Promise<Block> {
  const grid = ctx.plan.grids.get(layer)!;
  const T = ctx.plan.spec.tiling.tileSize;
  const c0 = Math.floor(region.x / T);
  const r0 = Math.floor(region.y / T);
  const c1 = Math.floor((region.x + region.width - 1) / T);
  const r1 = Math.floor((region.y + region.height - 1) / T);
  if (c0 === c1 && r0 === r1) {
    const tile = await readRawTile(ctx, layer, c0, r0, lane);
    const same = region.width === tile.width && region.height === tile.height;
    return same ? tile : cropBlock(tile, region.x - c0 * T, region.y - r0 * T, region.width, region.height);
  }
  const tiles: Promise<Block>[] = [];
  for (let r = r0; r <= r1; r++)
    for (let c = c0; c <= c1; c++) tiles.push(readRawTile(ctx, layer, c, r, lane));
  const loaded = await Promise.all(tiles);
  const bands = Array.from({ length: grid.bands }, () =>
    typedArrayFor(grid.dataType, region.width * region.height),
  );
  let i = 0;
  for (let r = r0; r <= r1; r++) {
    for (let c = c0; c <= c1; c++) {
      const tile = loaded[i++]!;
      const x0 = Math.max(region.x, c * T);
      const y0 = Math.max(region.y, r * T);
      const x1 = Math.min(region.x + region.width, c * T + tile.width);
      const y1 = Math.min(region.y + region.height, r * T + tile.height);
      for (let b = 0; b < bands.length; b++) {
        const src = tile.bands[b]!;
        const dst = bands[b]!;
        for (let y = y0; y < y1; y++) {
          const from = (y - r * T) * tile.width + (x0 - c * T);
          dst.set(src.subarray(from, from + (x1 - x0)), (y - region.y) * region.width + (x0 - region.x));
        }
      }
    }
  }
  return { width: region.width, height: region.height, dataType: grid.dataType, bands };
}
