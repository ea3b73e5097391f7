/**
 * A task of a tiles stage: its fused steps computed one after another on one tile, in memory, each from
 * its inputs' footprints (sources read by range, upstream stages' tiles from scratch); then the exported
 * steps' tiles written raw where their readers look, and encoded once for every output they feed.
 */
import type { Block, TypedArray, Window } from "../io/raster.ts";
import { footprintRegion, type Footprint } from "../ops/footprint.ts";
import type { KernelInput } from "../ops/kernel.ts";
import { opOf } from "../ops/registry.ts";
import type { TaskResult, WorkerContext } from "./context.ts";
import { putProducts } from "./put-products.ts";
import { edgeKey, edgeWidth, stripFor, type Side } from "./edges.ts";
import { rawKey, taskAt, type TilePosition } from "./products.ts";
import { readReduced } from "./reduce-tasks.ts";
import { MissingInput } from "./task-error.ts";
import { readTilePart } from "./tile-file.ts";

const POINTWISE: Footprint = { kind: "pointwise" };

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
  const used: TypedArray[] = [];
  try {
    for (const name of stage.steps) {
      const step = ctx.steps.get(name)!;
      const op = opOf(step.op);
      const grid = plan.grids.get(name)!;
      const inputs = new Map<string, KernelInput>();
      for (const [alias, ref] of Object.entries(step.inputs)) {
        const inputGrid = plan.grids.get(ref)!;
        const fp = op.footprint(step.params, alias, inputGrid, grid);
        // A reduced input is read pixel for pixel; its whole is summed up by the reduce task's statistics.
        const reduction = fp.kind === "reduction";
        const region = footprintRegion(reduction ? POINTWISE : fp, window, inputGrid.width, inputGrid.height);
        if (region === null) continue; // the tile lies outside this input: the kernel sees no block for it
        let block = computed.get(ref);
        if (block === undefined && ctx.sources.has(ref)) {
          const key = `${ref}@${region.x},${region.y},${region.width},${region.height}`;
          let read = sourceReads.get(key);
          if (!read) {
            const into = pooledBands(ctx, inputGrid, region, used);
            sourceReads.set(key, (read = ctx.sources.get(ref)!.readWindow(region, { into })));
          }
          block = await read;
        }
        block ??= await readLayer(ctx, ref, region, lane, used);
        const reduced = reduction ? await readReduced(ctx, pos.stage, lane) : undefined;
        inputs.set(alias, { block, window: region, grid: inputGrid, ...(reduced && { reduced }) });
      }
      const out = op.kernel(step.params, inputs, { window, grid, allocate: ctx.pool.allocate });
      computed.set(name, out);
      used.push(...out.bands);
    }

    const exported = new Map(stage.exports.map((layer) => [layer, computed.get(layer)!]));
    const scratchBytes = await putProducts(ctx, task, lane, pos, exported);
    return { scratchBytes };
  } finally {
    ctx.pool.give(used);
  }
}

function pooledBands(
  ctx: WorkerContext,
  grid: { bands: number; dataType: Block["dataType"] },
  region: Window,
  used: TypedArray[],
): TypedArray[] {
  const bands = Array.from({ length: grid.bands }, () =>
    ctx.pool.take(grid.dataType, region.width * region.height),
  );
  used.push(...bands);
  return bands;
}

/**
 * The region `region` of a layer (a step's output, or a pyramid level) put together from the scratch tiles
 * it spans, reading of each only the rows it needs. Its arrays come from the pool and are added to `used`.
 */
export async function readLayer(
  ctx: WorkerContext,
  layer: string,
  region: Window,
  lane: number,
  used: TypedArray[],
  grid: { width: number; height: number; bands: number; dataType: Block["dataType"] } = ctx.plan.grids.get(
    layer,
  )!,
): Promise<Block> {
  const T = ctx.plan.spec.tiling.tileSize;
  const block: Block = {
    width: region.width,
    height: region.height,
    dataType: grid.dataType,
    bands: pooledBands(ctx, grid, region, used),
  };
  const stage = layerStage(ctx.plan, layer);
  // Halo reads of a tile another lane made come from its edge strips when they hold the part.
  const edge = ctx.scratch.oneArea || stage < 0 ? 0 : edgeWidth(ctx.plan, stage);
  const c0 = Math.floor(region.x / T);
  const r0 = Math.floor(region.y / T);
  const c1 = Math.floor((region.x + region.width - 1) / T);
  const r1 = Math.floor((region.y + region.height - 1) / T);
  const reads: Promise<void>[] = [];
  for (let r = r0; r <= r1; r++) {
    for (let c = c0; c <= c1; c++) {
      const tile = tileWindow(ctx, grid.width, grid.height, c, r);
      const x0 = Math.max(region.x, tile.x);
      const y0 = Math.max(region.y, tile.y);
      const x1 = Math.min(region.x + region.width, tile.x + tile.width);
      const y1 = Math.min(region.y + region.height, tile.y + tile.height);
      const part = { x: x0 - tile.x, y: y0 - tile.y, width: x1 - x0, height: y1 - y0 };
      const across = edge > 0 && ctx.plan.lanes.laneOf[taskAt(ctx.plan, stage, c, r)] !== lane;
      const inStrip = across ? stripFor(part, tile, edge) : null;
      const [dx, dy] = [x0 - region.x, y0 - region.y];
      reads.push(
        inStrip
          ? readStrip(ctx, layer, c, r, inStrip, tile, part, lane, block, dx, dy)
          : readPart(
              ctx,
              rawKey(layer, c, r),
              taskAt(ctx.plan, stage, c, r),
              lane,
              tile,
              part,
              block,
              dx,
              dy,
            ),
      );
    }
  }
  await Promise.all(reads);
  return block;
}

/** The layer's producing stage: the tiles stage exporting it, or the overview stage of that name. */
function layerStage(plan: WorkerContext["plan"], layer: string): number {
  return plan.stages.findIndex((s) => (s.kind === "overview" ? s.name === layer : s.exports.includes(layer)));
}

/** `part` of a tile from its edge strip in shared scratch, or from the whole tile if it has no strip. */
async function readStrip(
  ctx: WorkerContext,
  layer: string,
  col: number,
  row: number,
  { side, strip }: { side: Side; strip: Window },
  tile: Window,
  part: Window,
  lane: number,
  block: Block,
  dstX: number,
  dstY: number,
): Promise<void> {
  const key = edgeKey(layer, col, row, side);
  const file = await ctx.scratch.open(key, -1);
  if (file === null) {
    const producer = taskAt(ctx.plan, layerStage(ctx.plan, layer), col, row);
    return readPart(ctx, rawKey(layer, col, row), producer, lane, tile, part, block, dstX, dstY);
  }
  try {
    const within = { ...part, x: part.x - strip.x };
    await readTilePart(
      file,
      key,
      { width: strip.width, height: strip.height },
      within,
      block,
      dstX,
      dstY,
      ctx.pool,
    );
  } finally {
    await file.close();
  }
}

export async function readPart(
  ctx: WorkerContext,
  key: string,
  producer: number,
  lane: number,
  tile: Window,
  part: Window,
  block: Block,
  dstX: number,
  dstY: number,
): Promise<void> {
  const file = await ctx.scratch.open(key, lane);
  if (file === null) throw new MissingInput(key, producer);
  try {
    await readTilePart(file, key, tile, part, block, dstX, dstY, ctx.pool);
  } finally {
    await file.close();
  }
}
