/**
 * The assembler: header, then every tile framed by its size leader and last-4-bytes trailer, in the
 * layout's order (smallest overview first, row-major), streamed to a sink in large sequential writes.
 */
import type { ByteSink } from "../sink/byte-sink.ts";
import type { CogLayout } from "./cog-layout.ts";

/** Reads a tile's compressed bytes; `level` 0 is full resolution, `index` is row-major. */
export type TileReader = (level: number, index: number) => Promise<Uint8Array>;

const CHUNK_BYTES = 4 << 20;
const READ_AHEAD = 8;

/** Leader, data and trailer of one tile in one buffer. */
export function frameTile(data: Uint8Array): Uint8Array {
  const framed = new Uint8Array(data.length + 8);
  new DataView(framed.buffer).setUint32(0, data.length, true);
  framed.set(data, 4);
  const tail = data.subarray(Math.max(0, data.length - 4));
  framed.set(tail, data.length + 8 - tail.length);
  return framed;
}

export async function assembleCog(layout: CogLayout, readTile: TileReader, sink: ByteSink): Promise<void> {
  await sink.write(layout.header);
  let position = layout.header.length;
  const order: [number, number][] = [];
  for (let k = layout.tileOffsets.length - 1; k >= 0; k--) {
    for (let i = 0; i < layout.tileOffsets[k]!.length; i++) order.push([k, i]);
  }
  const pending: Promise<Uint8Array>[] = [];
  let next = 0;
  const refill = (): void => {
    while (pending.length < READ_AHEAD && next < order.length) {
      const [k, i] = order[next++]!;
      const read = readTile(k, i);
      read.catch(() => undefined); // surfaced when awaited in order below
      pending.push(read);
    }
  };
  let chunk: Uint8Array[] = [];
  let chunkBytes = 0;
  for (const [k, i] of order) {
    refill();
    const data = await pending.shift()!;
    if (layout.tileOffsets[k]![i] !== position + 4) {
      throw new Error(
        `COG assembly out of step at level ${k} tile ${i}: ${position + 4} != ${layout.tileOffsets[k]![i]}`,
      );
    }
    const framed = frameTile(data);
    chunk.push(framed);
    chunkBytes += framed.length;
    position += framed.length;
    if (chunkBytes >= CHUNK_BYTES) {
      await sink.write(Buffer.concat(chunk));
      chunk = [];
      chunkBytes = 0;
    }
  }
  if (chunkBytes > 0) await sink.write(Buffer.concat(chunk));
}
