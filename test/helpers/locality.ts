/**
 * The locality of a run on the emulator: every worker pod's last line says how many intermediate tile bytes
 * its batch read from its lane's volume and from shared scratch; the pods' logs stay in the node directories.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

export interface Locality {
  readonly lane: number;
  readonly shared: number;
  /** The share of intermediate tile bytes read on the node that wrote them. */
  readonly share: number;
}

export async function scratchLocality(root: string): Promise<Locality> {
  const totals = { lane: 0, shared: 0 };
  const nodes = join(root, "nodes");
  for (const node of await readdir(nodes).catch(() => [])) {
    const pods = await readdir(join(nodes, node, "pods")).catch(() => []);
    for (const pod of pods) {
      const logs = join(nodes, node, "pods", pod, "logs");
      for (const file of await readdir(logs).catch(() => [])) {
        for (const line of (await readFile(join(logs, file), "utf8")).split("\n")) {
          if (!line.startsWith('{"reads":')) continue;
          const { reads } = JSON.parse(line) as { reads: { lane: number; shared: number } };
          totals.lane += reads.lane;
          totals.shared += reads.shared;
        }
      }
    }
  }
  const all = totals.lane + totals.shared;
  return { ...totals, share: all === 0 ? 0 : totals.lane / all };
}
