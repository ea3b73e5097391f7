/**
 * Temporary files that keep the writer's memory at a few tiles: compressed tiles appended as they are
 * made (read back once, at assembly), and fixed-size slots for the raw half-resolution quarters that
 * wait for their siblings before an overview tile can be built (slots are reused once consumed).
 * Quarters stay in memory up to a fixed budget and only overflow to the file: in row order few wait
 * at once, and the file round trips would queue behind compressions on libuv's thread pool, on the
 * path from the last full-resolution row to the last overview tile.
 */
import type { FileHandle } from "node:fs/promises";
import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Spool {
  /** Append bytes; returns where they went. */
  append(bytes: Uint8Array): Promise<number>;
  /** Read bytes back, into `into` (returned) when given. */
  read(offset: number, length: number, into?: Uint8Array): Promise<Uint8Array>;
  /** Store (a copy of) a quarter, exactly `slotBytes`, and return its slot. */
  putSlot(bytes: Uint8Array): Promise<number>;
  /** Read a slot back into `into` and free it. */
  takeSlot(slot: number, into: Uint8Array): Promise<void>;
  dispose(): Promise<void>;
}

async function readFully(fh: FileHandle, into: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await fh.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) throw new Error(`spool truncated at ${position + done}`);
    done += bytesRead;
  }
}

async function writeFully(fh: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}

export async function openSpool(
  slotBytes: number,
  dir: string = tmpdir(),
  memoryBytes: number = 32 << 20,
): Promise<Spool> {
  const root = await mkdtemp(join(dir, "imagechain-cog-"));
  const tiles = await open(join(root, "tiles"), "w+");
  const slots = await open(join(root, "quarters"), "w+");
  const memorySlots = Math.floor(memoryBytes / slotBytes);
  let end = 0;
  let slotCount = 0;
  const free: number[] = [];
  const held = new Map<number, Uint8Array>();
  const spare: Uint8Array[] = [];
  return {
    async append(bytes) {
      const at = end;
      end += bytes.length;
      await writeFully(tiles, bytes, at);
      return at;
    },
    async read(offset, length, into) {
      const out = into?.length === length ? into : new Uint8Array(length);
      await readFully(tiles, out, offset);
      return out;
    },
    async putSlot(bytes) {
      const slot = free.pop() ?? slotCount++;
      if (held.size < memorySlots) {
        const copy = spare.pop() ?? new Uint8Array(slotBytes);
        copy.set(bytes);
        held.set(slot, copy);
      } else {
        await writeFully(slots, bytes, slot * slotBytes);
      }
      return slot;
    },
    async takeSlot(slot, into) {
      const copy = held.get(slot);
      if (copy) {
        into.set(copy);
        held.delete(slot);
        spare.push(copy);
      } else {
        await readFully(slots, into, slot * slotBytes);
      }
      free.push(slot);
    },
    async dispose() {
      await Promise.allSettled([tiles.close(), slots.close()]);
      await rm(root, { recursive: true, force: true });
    },
  };
}
