/**
 * A pod's scratch: its lane's area on the lane's volume (a directory, fast and local) and the shared area
 * elsewhere (S3), read lane first as the local engine's scratch is. Two places, so a tile another lane
 * needs is written to both (`oneArea` false).
 */
import type { Scratch } from "./scratch.ts";

/** `lanes` serves the lane areas (its own shared area goes unused), `shared` serves "shared". */
export function stackScratch(lanes: Scratch, shared: Scratch): Scratch {
  return {
    oneArea: false,
    put: (area, key, chunks) =>
      area === "shared" ? shared.put("shared", key, chunks) : lanes.put(area, key, chunks),
    async get(key, lane) {
      return (lane >= 0 ? await lanes.get(key, lane) : null) ?? shared.get(key, -1);
    },
    async open(key, lane) {
      return (lane >= 0 ? await lanes.open(key, lane) : null) ?? shared.open(key, -1);
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
