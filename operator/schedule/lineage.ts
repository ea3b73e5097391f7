import type { Plan } from "../plan/plan.ts";
import { DELETED, DONE, PENDING, RUNNING } from "./types.ts";

/**
 * After lanes lose their volumes (or tiles are found missing: `lostTasks`): which tiles to recompute (gone and still needed, transitively back
 * to what survives in shared scratch, on other lanes or in the sources) and which are merely gone.
 * A tile is needed when a task that will run reads it. Task ids are a topological order, so one pass
 * from the last task back decides every tile after all its consumers.
 */
export interface Recovery {
  readonly recompute: Uint32Array;
  readonly gone: Uint32Array; // lost, but nothing will read them again
}

export function recover(
  plan: Plan,
  tasks: Uint8Array,
  lostLanes: ReadonlySet<number>,
  moved: Uint8Array = new Uint8Array(tasks.length),
  lostTasks: ReadonlySet<number> = new Set(),
): Recovery {
  const { consumerStart, consumers } = plan.dag;
  const { laneOf, shared } = plan.lanes;
  const n = tasks.length;
  const willRun = new Uint8Array(n);
  const recompute: number[] = [];
  const gone: number[] = [];
  for (let t = n - 1; t >= 0; t--) {
    const s = tasks[t];
    if (s === PENDING || s === RUNNING) {
      willRun[t] = 1;
      continue;
    }
    // Assemblies (no readers) write the outputs themselves, never to a lane's volume.
    const final = consumerStart[t] === consumerStart[t + 1];
    // Tiles made by another lane's pod went to shared scratch.
    const lost =
      s === DONE &&
      ((shared[t] === 0 && moved[t] === 0 && !final && lostLanes.has(laneOf[t]!)) || lostTasks.has(t));
    if (s !== DELETED && !lost) continue;
    let needed = false;
    for (let e = consumerStart[t]!; e < consumerStart[t + 1]! && !needed; e++)
      needed = willRun[consumers[e]!] === 1;
    if (needed) {
      willRun[t] = 1;
      recompute.push(t);
    } else if (lost) {
      gone.push(t);
    }
  }
  return { recompute: Uint32Array.from(recompute.reverse()), gone: Uint32Array.from(gone.reverse()) };
}
