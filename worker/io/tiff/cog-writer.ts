/**
 * The streaming COG writer: tiles arrive in any order, are compressed once as they arrive (several at a
 * time, on libuv's thread pool) and spooled to a temporary file; each also leaves a half-resolution
 * quarter in the spool, and the fourth quarter of an overview tile builds that tile the same way.
 * `finish` lays the file out and streams it to a sink. Memory stays at a few tiles; the bytes depend
 * only on the spec and the pixels, never on the order of `addTile` calls.
 */
import { availableParallelism, endianness } from "node:os";
import type { Block, TypedArray } from "../raster.ts";
import { isIntegerType, typedArrayFor } from "../raster.ts";
import { IoError } from "../errors.ts";
import type { ByteSink } from "../sink/byte-sink.ts";
import { assembleCog } from "./cog-assemble.ts";
import { layoutCog } from "./cog-layout.ts";
import { levelTags } from "./cog-level-tags.ts";
import type { CogSpec } from "./cog-spec.ts";
import { resolveCogSpec } from "./cog-spec.ts";
import { openSpool } from "./cog-spool.ts";
import type { TileBands } from "./encode/tile-encoder.ts";
import { encodeTile } from "./encode/tile-encoder.ts";
import type { Downsample } from "./overview.ts";
import { downsample2x } from "./overview.ts";

export interface CogWriter {
  /**
   * Add the full-resolution tile (tx, ty): a block of the tile's size clipped to the image, or of the
   * full tile size (pixels beyond the image are ignored). Resolves as soon as the tile is queued, so a
   * caller that awaits each call still keeps several compressions running; the block may be reused
   * then. A failure of earlier work rejects the next call.
   */
  addTile(tx: number, ty: number, block: Block): Promise<void>;
  /** Tiles never added are written as nodata (or 0). Closes the sink on success, aborts it on failure. */
  finish(sink: ByteSink): Promise<{ bytes: number }>;
  abort(): Promise<void>;
}

export interface CogWriterOptions {
  /** Directory for the spool (default: the OS temporary directory). */
  readonly tmpDir?: string;
  /** Named in errors (the destination URI). */
  readonly uri?: string;
  /** Tiles being compressed at once (default: 2 × cores). */
  readonly concurrency?: number;
  /** Memory for half-resolution quarters waiting for their siblings, beyond which they are spooled (32 MiB). */
  readonly quarterMemoryBytes?: number;
}

interface Level {
  readonly tilesX: number;
  readonly tilesY: number;
  readonly width: number;
  readonly height: number;
  readonly byteCounts: Uint32Array;
  readonly spoolOffsets: Float64Array;
  readonly done: Uint8Array;
  /** Per tile, 4 spool slots (top-left, top-right, bottom-left, bottom-right quarter); -1 = none yet. */
  readonly quarterSlots: Int32Array;
  readonly quartersArrived: Uint8Array;
}

export async function createCogWriter(spec: CogSpec, opts: CogWriterOptions = {}): Promise<CogWriter> {
  const uri = opts.uri ?? "cog";
  const s = resolveCogSpec(spec, uri);
  if (endianness() !== "LE")
    throw new IoError("unsupported", uri, "the COG writer needs a little-endian host");
  const T = s.tileSize;
  const half = T / 2;
  const spp = s.bandCount;
  const bandQuarter = half * half;
  const quarterSamples = bandQuarter * spp;
  const quarterBytes = typedArrayFor(s.dataType, 1).BYTES_PER_ELEMENT * quarterSamples;
  const tileBytes = 4 * quarterBytes;
  /** Interleaving buffers of finished encodes, for the next ones (at most one per concurrent encode). */
  const scratch: Uint8Array[] = [];
  /** Quarters once spooled and overview tiles once encoded, for the next ones: no allocation per tile. */
  const freeQuarters: TypedArray[] = [];
  const freeTiles: TypedArray[] = [];
  const fillCast = typedArrayFor(s.dataType, 1);
  fillCast[0] = s.fill;
  const spool = await openSpool(quarterBytes, opts.tmpDir, opts.quarterMemoryBytes);
  const concurrency = opts.concurrency ?? Math.max(2, availableParallelism() * 2);
  const encoding = {
    compression: s.compression,
    level: s.level,
    dataType: s.dataType,
    tileSize: T,
    samplesPerPixel: spp,
    fill: fillCast[0]!,
  };
  const kernel: Downsample = {
    resampling: s.resampling,
    integer: isIntegerType(s.dataType),
    nodata: s.nodata,
    fill: s.fill,
  };
  const levels: Level[] = s.levels.map((g) => {
    const n = g.tilesX * g.tilesY;
    return {
      ...g,
      byteCounts: new Uint32Array(n),
      spoolOffsets: new Float64Array(n),
      done: new Uint8Array(n),
      quarterSlots: new Int32Array(4 * n).fill(-1),
      quartersArrived: new Uint8Array(n),
    };
  });
  const received = new Uint8Array(levels[0]!.tilesX * levels[0]!.tilesY);
  const inflight = new Set<Promise<void>>();
  let failure: unknown = null;
  let state: "open" | "finishing" | "closed" = "open";

  const validSize = (k: number, tx: number, ty: number): [number, number] => {
    const l = levels[k]!;
    return [Math.min(T, l.width - tx * T), Math.min(T, l.height - ty * T)];
  };

  /** A full tile of fill, band after band. */
  const fillTile = (): TypedArray => (freeTiles.pop() ?? typedArrayFor(s.dataType, T * T * spp)).fill(s.fill);
  const bandsOf = (all: TypedArray): TypedArray[] =>
    Array.from({ length: spp }, (_, b) => all.subarray(b * T * T, (b + 1) * T * T));

  /** Quarters are band-sequential (half² samples per band), like tiles on their way to the encoder. */
  async function processTile(k: number, tx: number, ty: number, tile: TileBands): Promise<void> {
    const l = levels[k]!;
    let quarter: Promise<void> | null = null;
    if (k + 1 < levels.length) {
      const q = freeQuarters.pop() ?? typedArrayFor(s.dataType, quarterSamples);
      const [w, h] = validSize(k, tx, ty);
      tile.bands.forEach((band, b) =>
        downsample2x(
          band,
          tile.stride,
          w,
          h,
          q.subarray(b * bandQuarter, (b + 1) * bandQuarter),
          half,
          kernel,
        ),
      );
      quarter = storeQuarter(k + 1, tx, ty, q);
    }
    const buffer = scratch.pop() ?? new Uint8Array(tileBytes);
    const encoded = await encodeTile(tile, encoding, buffer).finally(() => scratch.push(buffer));
    const index = ty * l.tilesX + tx;
    l.spoolOffsets[index] = await spool.append(encoded);
    l.byteCounts[index] = encoded.length;
    l.done[index] = 1;
    await quarter;
  }

  async function storeQuarter(k: number, cx: number, cy: number, q: TypedArray): Promise<void> {
    const slot = await spool
      .putSlot(new Uint8Array(q.buffer, q.byteOffset, q.byteLength))
      .finally(() => freeQuarters.push(q));
    const l = levels[k]!;
    const child = levels[k - 1]!;
    const px = cx >> 1;
    const py = cy >> 1;
    const index = py * l.tilesX + px;
    l.quarterSlots[4 * index + (cy & 1) * 2 + (cx & 1)] = slot;
    const expected = Math.min(2, child.tilesX - 2 * px) * Math.min(2, child.tilesY - 2 * py);
    if (++l.quartersArrived[index]! === expected) await buildOverviewTile(k, px, py);
  }

  async function buildOverviewTile(k: number, tx: number, ty: number): Promise<void> {
    const l = levels[k]!;
    const index = ty * l.tilesX + tx;
    const all = fillTile();
    const bands = bandsOf(all);
    const q = freeQuarters.pop() ?? typedArrayFor(s.dataType, quarterSamples);
    const qBytes = new Uint8Array(q.buffer, q.byteOffset, q.byteLength);
    for (let pos = 0; pos < 4; pos++) {
      const slot = l.quarterSlots[4 * index + pos]!;
      if (slot < 0) continue;
      await spool.takeSlot(slot, qBytes);
      const x0 = (pos & 1) * half;
      const y0 = (pos >> 1) * half;
      bands.forEach((band, b) => {
        for (let y = 0, from = b * bandQuarter; y < half; y++, from += half) {
          band.set(q.subarray(from, from + half), (y0 + y) * T + x0);
        }
      });
    }
    freeQuarters.push(q);
    // processTile has read the bands once its first step (encodeTile's interleave) has returned.
    await processTile(k, tx, ty, { bands, stride: T, width: T, height: T }).finally(() =>
      freeTiles.push(all),
    );
  }

  function track(work: Promise<void>): void {
    const settled = work
      .catch((e: unknown) => {
        failure ??= e;
      })
      .finally(() => inflight.delete(settled));
    inflight.add(settled);
  }

  async function waitBelow(limit: number): Promise<void> {
    while (inflight.size > limit) await Promise.race(inflight);
    if (failure) throw failure;
  }

  async function enqueue(tx: number, ty: number, tile: () => TileBands): Promise<void> {
    await waitBelow(concurrency - 1);
    track(processTile(0, tx, ty, tile()));
  }

  const fail = (why: string): IoError => new IoError("invalid-argument", uri, why);

  return {
    async addTile(tx, ty, block) {
      if (state !== "open") throw fail(`addTile(${tx}, ${ty}) after finish or abort`);
      const l0 = levels[0]!;
      if (
        !Number.isInteger(tx) ||
        !Number.isInteger(ty) ||
        tx < 0 ||
        ty < 0 ||
        tx >= l0.tilesX ||
        ty >= l0.tilesY
      ) {
        throw fail(`tile (${tx}, ${ty}) is outside the ${l0.tilesX}x${l0.tilesY} tile grid`);
      }
      const [w, h] = validSize(0, tx, ty);
      const sizeOk = (block.width === w && block.height === h) || (block.width === T && block.height === T);
      if (!sizeOk || block.dataType !== s.dataType || block.bands.length !== spp) {
        throw fail(
          `tile (${tx}, ${ty}): expected ${spp} band(s) of ${s.dataType} ${w}x${h}, ` +
            `got ${block.bands.length} of ${block.dataType} ${block.width}x${block.height}`,
        );
      }
      const index = ty * l0.tilesX + tx;
      if (received[index]) throw fail(`tile (${tx}, ${ty}) added twice`);
      received[index] = 1;
      await enqueue(tx, ty, () => ({ bands: block.bands, stride: block.width, width: w, height: h }));
    },

    async finish(sink) {
      if (state !== "open") throw fail("finish after finish or abort");
      state = "finishing";
      try {
        for (let i = 0; i < received.length; i++) {
          if (received[i]) continue;
          const tx = i % levels[0]!.tilesX;
          const ty = Math.floor(i / levels[0]!.tilesX);
          await enqueue(tx, ty, () => ({ bands: bandsOf(fillTile()), stride: T, width: T, height: T }));
        }
        await waitBelow(0);
        levels.forEach((l, k) => {
          const missing = l.done.indexOf(0);
          if (missing >= 0) throw new Error(`COG level ${k} tile ${missing} was never built`);
        });
        const layout = layoutCog(
          levels.map((l, k) => ({ tags: levelTags(s, k), tileByteCounts: l.byteCounts })),
          s.bigTiff,
          uri,
        );
        await assembleCog(
          layout,
          (k, i, into) => spool.read(levels[k]!.spoolOffsets[i]!, levels[k]!.byteCounts[i]!, into),
          sink,
        );
        await sink.close();
        return { bytes: layout.totalBytes };
      } catch (e) {
        await sink.abort().catch(() => undefined);
        throw e;
      } finally {
        state = "closed";
        await Promise.allSettled(inflight);
        await spool.dispose();
      }
    },

    async abort() {
      if (state === "closed") return;
      state = "closed";
      await Promise.allSettled(inflight);
      await spool.dispose();
    },
  };
}
