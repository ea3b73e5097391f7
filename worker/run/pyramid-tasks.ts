/**
 * Overview and assembly tasks. An overview tile is put together from the quarters of the (up to) four tiles
 * below it, each reduced by the task that made it with the writer's own kernel, so the pyramid is the one
 * `imagechain cog` builds; the assembly streams the encoded tiles of every level into the COG, without
 * decoding any.
 */
import { cropBlock, type Block, type TypedArray } from "../io/raster.ts";
import { openSink } from "../io/sink/open.ts";
import { assembleCog } from "../io/tiff/cog-assemble.ts";
import { layoutCog } from "../io/tiff/cog-layout.ts";
import { levelTags } from "../io/tiff/cog-level-tags.ts";
import type { TaskResult, WorkerContext } from "./context.ts";
import {
  encodedBy,
  encodedKey,
  outputLevels,
  pyramidLayer,
  quarterKey,
  taskAt,
  type TilePosition,
} from "./products.ts";
import { putProducts } from "./put-products.ts";
import { readPart, tileWindow } from "./tiles-task.ts";

export async function runOverviewTask(
  ctx: WorkerContext,
  task: number,
  pos: TilePosition,
  lane: number,
): Promise<TaskResult> {
  const { plan } = ctx;
  const stage = plan.stages[pos.stage]!;
  const cog = ctx.cogs[encodedBy(plan, pos.stage)[0]!.output]!;
  const below = plan.stages[stage.deps[0]!.stage]!;
  const belowLayer = pyramidLayer(plan, stage.deps[0]!.stage)!;
  const T = cog.tileSize;
  const half = T / 2;
  const used: TypedArray[] = [];
  try {
    const bands = Array.from({ length: cog.bandCount }, () => {
      const band = ctx.pool.take(cog.dataType, T * T).fill(cog.fill);
      used.push(band);
      return band;
    });
    const full: Block = { width: T, height: T, dataType: cog.dataType, bands };
    const quarter = { x: 0, y: 0, width: half, height: half };
    const reads: Promise<void>[] = [];
    for (let dy = 0; dy < 2; dy++) {
      for (let dx = 0; dx < 2; dx++) {
        const col = 2 * pos.col + dx;
        const row = 2 * pos.row + dy;
        if (col >= below.cols || row >= below.rows) continue;
        const key = quarterKey(belowLayer, col, row);
        const producer = taskAt(plan, stage.deps[0]!.stage, col, row);
        reads.push(readPart(ctx, key, producer, lane, quarter, quarter, full, dx * half, dy * half));
      }
    }
    await Promise.all(reads);
    const window = tileWindow(ctx, stage.width, stage.height, pos.col, pos.row);
    const whole = window.width === T && window.height === T;
    const block = whole ? full : cropBlock(full, 0, 0, window.width, window.height);
    const scratchBytes = await putProducts(ctx, task, lane, pos, new Map([[stage.name, block]]));
    return { scratchBytes };
  } finally {
    ctx.pool.give(used);
  }
}

export async function runAssembleTask(ctx: WorkerContext, output: number): Promise<TaskResult> {
  const cog = ctx.cogs[output]!;
  const uri = ctx.plan.spec.outputs[output]!.uri;
  const levels = outputLevels(ctx.plan)[output]!;
  const keyOf = (k: number, i: number) => {
    const { tilesX } = cog.levels[k]!;
    return encodedKey(output, k, i % tilesX, Math.floor(i / tilesX));
  };
  const counts = await Promise.all(
    levels.map(async (_, k) => {
      const { tilesX, tilesY } = cog.levels[k]!;
      const sizes = new Uint32Array(tilesX * tilesY);
      for (let i = 0; i < sizes.length; i++) sizes[i] = await ctx.scratch.size(keyOf(k, i), -1);
      return sizes;
    }),
  );
  const layout = layoutCog(
    counts.map((tileByteCounts, k) => ({ tags: levelTags(cog, k), tileByteCounts })),
    cog.bigTiff,
    uri,
  );
  const sink = await openSink(uri, { s3: ctx.s3 });
  try {
    await assembleCog(
      layout,
      async (k, i) => {
        const bytes = await ctx.scratch.get(keyOf(k, i), -1);
        if (bytes === null) throw new Error(`scratch tile ${keyOf(k, i)} is missing`);
        return bytes;
      },
      sink,
    );
    await sink.close();
  } catch (e) {
    await sink.abort().catch(() => undefined);
    throw e;
  }
  return { scratchBytes: 0, output: { uri, bytes: layout.totalBytes } };
}
