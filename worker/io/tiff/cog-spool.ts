/**
 * Temporary files that keep the writer's memory at a few tiles: compressed tiles appended as they are
 * made (read back once, at assembly), and fixed-size slots for the raw half-resolution quarters that
 * wait for their siblings before an overview tile can be built (slots are reused once consumed).
 */
import type { FileHandle } from "node:fs/promises";
import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Spool {
  /** Append bytes; returns where they went. */
  append(bytes: Uint8Array): Promise<number>;
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Store a quarter (exactly `slotBytes`) and return its slot. */
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

export async function openSpool(slotBytes: number, dir: string = tmpdir()): Promise<Spool> {
  const root = await mkdtemp(join(dir, "imagechain-cog-"));
  const tiles = await open(join(root, "tiles"), "w+");
  const slots = await open(join(root, "quarters"), "w+");
  let end = 0;
  let slotCount = 0;
  const free: number[] = [];
  return {
    async append(bytes) {
      const at = end;
      end += bytes.length;
      await writeFully(tiles, bytes, at);
      return at;
    },
    async read(offset, length) {
      const out = new Uint8Array(length);
      await readFully(tiles, out, offset);
      return out;
    },
    async putSlot(bytes) {
      const slot = free.pop() ?? slotCount++;
      await writeFully(slots, bytes, slot * slotBytes);
      return slot;
    },
    async takeSlot(slot, into) {
      await readFully(slots, into, slot * slotBytes);
      free.push(slot);
    },
    async dispose() {
      await Promise.allSettled([tiles.close(), slots.close()]);
      await rm(root, { recursive: true, force: true });
    },
  };
}
