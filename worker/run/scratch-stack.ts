/**
 * A pod's scratch: its lane's area on the lane's volume (a directory, fast and local) and the shared area
 * elsewhere (S3), read lane first as the local engine's scratch is. Two places, so a tile another lane
 * needs is written to both (`oneArea` false). It counts the bytes of the keys `counted` selects that each
 * place served: the lane's share is the chain's locality (tiles read on the node that made them).
 */
import type { Scratch, ScratchFile } from "./scratch.ts";

export interface StackedScratch extends Scratch {
  /** Bytes read so far from the lane's area and from shared scratch. */
  readonly reads: { lane: number; shared: number };
}

/** `lanes` serves the lane areas (its own shared area goes unused), `shared` serves "shared". */
export function stackScratch(
  lanes: Scratch,
  shared: Scratch,
  counts: (key: string) => boolean = () => true,
): StackedScratch {
  const reads = { lane: 0, shared: 0 };
  const count = (key: string, from: keyof typeof reads, bytes: number) => {
    if (counts(key)) reads[from] += bytes;
  };
  const counted = (key: string, file: ScratchFile | null, from: keyof typeof reads): ScratchFile | null =>
    file && {
      async read(into, position) {
        await file.read(into, position);
        count(key, from, into.length);
      },
      close: () => file.close(),
    };
  return {
    oneArea: false,
    reads,
    put: (area, key, chunks) =>
      area === "shared" ? shared.put("shared", key, chunks) : lanes.put(area, key, chunks),
    async get(key, lane) {
      const local = lane >= 0 ? await lanes.get(key, lane) : null;
      if (local) {
        count(key, "lane", local.length);
        return local;
      }
      const bytes = await shared.get(key, -1);
      count(key, "shared", bytes?.length ?? 0);
      return bytes;
    },
    async open(key, lane) {
      const local = lane >= 0 ? await lanes.open(key, lane) : null;
      return local ? counted(key, local, "lane") : counted(key, await shared.open(key, -1), "shared");
    },
    async size(key, lane) {
      const local = lane >= 0 ? await lanes.open(key, lane) : null;
      if (local === null) return shared.size(key, -1);
      await local.close();
      return lanes.size(key, lane);
    },
    async remove(lane, keys) {
      return (await lanes.remove(lane, keys)) + (await shared.remove(lane, keys));
    },
  };
}
