/**
 * Scratch space of a running chain: one area per lane (the lane's volume) and one shared by every lane.
 * Writes are atomic (a temporary name, then a rename), so a worker killed mid-write never leaves a
 * tile that looks whole; reads look in the reader's lane first, then in shared scratch.
 */
import { mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";

export interface Scratch {
  /** Lanes and shared scratch are one place (the local engine's one disk): a tile needs writing once. */
  readonly oneArea: boolean;
  /** Store the concatenation of `chunks` under `key` in a lane's area or the shared one. */
  put(area: number | "shared", key: string, chunks: readonly Uint8Array[]): Promise<void>;
  /** The bytes under `key`, from `lane`'s area (lane -1: none) or else the shared one; null when neither has them. */
  get(key: string, lane: number): Promise<Uint8Array | null>;
  /** Byte ranges of `key` (lane first, then shared), for reading part of a tile; null when neither has it. */
  open(key: string, lane: number): Promise<ScratchFile | null>;
  /** The size of what `get` would return; throws when neither area has `key`. */
  size(key: string, lane: number): Promise<number>;
  /** Delete `keys` from a lane's area and the shared one; resolves to the bytes freed. */
  remove(lane: number, keys: readonly string[]): Promise<number>;
}

export interface ScratchFile {
  /** Fill `into` from `position`; throws if the file ends first. */
  read(into: Uint8Array, position: number): Promise<void>;
  close(): Promise<void>;
}

export function laneDir(root: string, lane: number): string {
  return join(root, "lanes", `L${lane}`);
}

export function sharedDir(root: string): string {
  return join(root, "shared");
}

/**
 * Scratch in local directories under `root`. With `oneArea` (the local engine: every lane's worker reads the
 * same disk) everything goes to the shared directory; a pod keeps its lane's volume apart.
 */
export function dirScratch(root: string, options: { oneArea?: boolean } = {}): Scratch {
  const oneArea = options.oneArea ?? false;
  const made = new Set<string>();
  const areaDir = (area: number | "shared") =>
    area === "shared" || oneArea ? sharedDir(root) : laneDir(root, area);
  const searched = (lane: number) =>
    lane < 0 || oneArea ? [sharedDir(root)] : [laneDir(root, lane), sharedDir(root)];
  let sequence = 0;
  return {
    oneArea,
    async put(area, key, chunks) {
      const path = join(areaDir(area), key);
      const dir = dirname(path);
      if (!made.has(dir)) {
        await mkdir(dir, { recursive: true });
        made.add(dir);
      }
      const part = `${path}.${process.pid}-${sequence++}.part`;
      const fh = await open(part, "w");
      try {
        await fh.writev(chunks as Uint8Array[]);
      } finally {
        await fh.close();
      }
      await rename(part, path);
    },
    get: (key, lane) => first(searched(lane), (dir) => readFile(join(dir, key))),
    async open(key, lane) {
      const fh = await first(searched(lane), (dir) => open(join(dir, key), "r"));
      if (fh === null) return null;
      return {
        async read(into, position) {
          let done = 0;
          while (done < into.length) {
            const { bytesRead } = await fh.read(into, done, into.length - done, position + done);
            if (bytesRead === 0) throw new Error(`scratch tile ${key} ends at ${position + done}`);
            done += bytesRead;
          }
        },
        close: () => fh.close(),
      };
    },
    async size(key, lane) {
      const found = await first(searched(lane), async (dir) => (await stat(join(dir, key))).size);
      if (found === null) throw new Error(`scratch tile ${key} is missing`);
      return found;
    },
    async remove(lane, keys) {
      let freed = 0;
      for (const dir of searched(lane)) {
        for (const key of keys) {
          const path = join(dir, key);
          const size = await stat(path).then(
            (s) => s.size,
            () => -1,
          );
          if (size < 0) continue;
          await rm(path, { force: true });
          freed += size;
        }
      }
      return freed;
    },
  };
}

/** The result of `attempt` on the first directory where the file exists; null when none has it. */
async function first<T>(dirs: readonly string[], attempt: (dir: string) => Promise<T>): Promise<T | null> {
  for (const dir of dirs) {
    try {
      return await attempt(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
  }
  return null;
}
