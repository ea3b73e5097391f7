/**
 * The assembler: header, then every tile framed by its size leader and last-4-bytes trailer, in the
 * layout's order (smallest overview first, row-major), streamed to a sink in large sequential writes.
 */
import type { ByteSink } from "../sink/byte-sink.ts";
import type { CogLayout } from "./cog-layout.ts";

/**
 * Reads a tile's compressed bytes; `level` 0 is full resolution, `index` is row-major. `into` has the
 * tile's length: a reader may fill it and return it (no copy), or return bytes of its own.
 */
export type TileReader = (level: number, index: number, into: Uint8Array) => Promise<Uint8Array>;

const CHUNK_BYTES = 8 << 20;
const READ_AHEAD = 8;

interface PlacedTile {
  readonly level: number;
  readonly index: number;
  /** File offset of the leader. */
  readonly at: number;
  readonly length: number;
}

/** A run of consecutive tiles written with one sink write. */
interface Chunk {
  readonly first: number;
  readonly end: number;
  readonly bytes: number;
}

/** Tiles in file order with their sizes, which the layout implies: each tile ends where the next begins. */
function placeTiles(layout: CogLayout): PlacedTile[] {
  const tiles: PlacedTile[] = [];
  for (let k = layout.tileOffsets.length - 1; k >= 0; k--) {
    const offsets = layout.tileOffsets[k]!;
    for (let i = 0; i < offsets.length; i++)
      tiles.push({ level: k, index: i, at: offsets[i]! - 4, length: 0 });
  }
  return tiles.map((t, j) => {
    const next = tiles[j + 1]?.at ?? layout.totalBytes;
    const expectedAt = j === 0 ? layout.header.length : tiles[j - 1]!.at;
    if (t.at < expectedAt || next - t.at < 8) {
      throw new Error(`COG layout out of step at level ${t.level} tile ${t.index} (offset ${t.at + 4})`);
    }
    return { ...t, length: next - t.at - 8 };
  });
}

function chunksOf(tiles: readonly PlacedTile[]): Chunk[] {
  const chunks: Chunk[] = [];
  let first = 0;
  let bytes = 0;
  tiles.forEach((t, j) => {
    const framed = t.length + 8;
    if (bytes > 0 && bytes + framed > CHUNK_BYTES) {
      chunks.push({ first, end: j, bytes });
      first = j;
      bytes = 0;
    }
    bytes += framed;
  });
  if (bytes > 0) chunks.push({ first, end: tiles.length, bytes });
  return chunks;
}

/** Leader, data and trailer of one tile, framed in place in `frame` (data.length + 8 bytes). */
function frameInto(frame: Uint8Array, data: Uint8Array): void {
  new DataView(frame.buffer, frame.byteOffset).setUint32(0, data.length, true);
  if (data.buffer !== frame.buffer || data.byteOffset !== frame.byteOffset + 4) frame.set(data, 4);
  const trailer = frame.subarray(data.length + 4);
  trailer.fill(0);
  const tail = data.subarray(Math.max(0, data.length - 4));
  trailer.set(tail, 4 - tail.length);
}

/**
 * Tiles are read (up to READ_AHEAD at a time) straight into one of two chunk buffers, framed there,
 * and the chunk written while the next one fills: no per-tile framing copies, no concatenation.
 */
export async function assembleCog(layout: CogLayout, readTile: TileReader, sink: ByteSink): Promise<void> {
  const tiles = placeTiles(layout);
  const chunks = chunksOf(tiles);
  const capacity = Math.min(CHUNK_BYTES, Math.max(0, ...chunks.map((c) => c.bytes)));
  const buffers = [new Uint8Array(capacity), new Uint8Array(0)];

  const fill = async (c: Chunk, slot: number): Promise<Uint8Array> => {
    if (c.bytes > capacity) return fillInto(new Uint8Array(c.bytes), c);
    if (buffers[slot]!.length < capacity) buffers[slot] = new Uint8Array(capacity);
    return fillInto(buffers[slot]!.subarray(0, c.bytes), c);
  };
  const fillInto = async (buffer: Uint8Array, c: Chunk): Promise<Uint8Array> => {
    const base = tiles[c.first]!.at;
    let next = c.first;
    const worker = async (): Promise<void> => {
      while (next < c.end) {
        const t = tiles[next++]!;
        const frame = buffer.subarray(t.at - base, t.at - base + t.length + 8);
        const data = await readTile(t.level, t.index, frame.subarray(4, 4 + t.length));
        if (data.length !== t.length) {
          throw new Error(
            `COG assembly out of step at level ${t.level} tile ${t.index}: ${data.length} bytes, expected ${t.length}`,
          );
        }
        frameInto(frame, data);
      }
    };
    await Promise.all(Array.from({ length: Math.min(READ_AHEAD, c.end - c.first) }, worker));
    return buffer;
  };

  await sink.write(layout.header);
  let filling = chunks.length > 0 ? fill(chunks[0]!, 0) : null;
  for (let n = 0; n < chunks.length; n++) {
    const ready = await filling!;
    // The other buffer's last write resolved in the previous turn, so it may be refilled now.
    filling = n + 1 < chunks.length ? fill(chunks[n + 1]!, (n + 1) & 1) : null;
    filling?.catch(() => undefined); // surfaced when awaited next turn
    await sink.write(ready);
  }
}
