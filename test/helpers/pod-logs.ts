/**
 * What worker pods on the emulator said, read from their logs (they stay in the node directories): the
 * locality of a run (every pod's last line says how many intermediate tile bytes its batch read from its
 * lane's volume and from shared scratch), and the reasons of failed pods.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

export interface Locality {
  readonly lane: number;
  readonly shared: number;
  /** The share of intermediate tile bytes read on the node that wrote them. */
  readonly share: number;
}

/** Every line in which a worker pod said why it failed (`imagechain worker: …`), for a test's failure message. */
export async function workerFailures(root: string): Promise<string[]> {
  const found: string[] = [];
  await eachPodLog(root, (line) => {
    if (line.startsWith("imagechain worker: ")) found.push(line);
  });
  return found;
}

async function eachPodLog(root: string, visit: (line: string) => void): Promise<void> {
  const nodes = join(root, "nodes");
  for (const node of await readdir(nodes).catch(() => [])) {
    const pods = await readdir(join(nodes, node, "pods")).catch(() => []);
    for (const pod of pods) {
      const logs = join(nodes, node, "pods", pod, "logs");
      for (const file of await readdir(logs).catch(() => [])) {
        for (const line of (await readFile(join(logs, file), "utf8").catch(() => "")).split("\n"))
          visit(line);
      }
    }
  }
}

export async function scratchLocality(root: string): Promise<Locality> {
  const totals = { lane: 0, shared: 0 };
  await eachPodLog(root, (line) => {
    if (!line.startsWith('{"reads":')) return;
    const { reads } = JSON.parse(line) as { reads: { lane: number; shared: number } };
    totals.lane += reads.lane;
    totals.shared += reads.shared;
  });
  const all = totals.lane + totals.shared;
  return { ...totals, share: all === 0 ? 0 : totals.lane / all };
}
