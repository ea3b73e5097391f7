import type { Dag } from "./dag.ts";
import type { Lanes } from "./lanes.ts";

/** Tasks a lane runs per turn, like a pod's batch; also keeps each turn's memory accesses close together. */
const BATCH = 64;

/**
 * The reference execution: lanes take turns running a batch of tasks, one at a time, always the ready
 * task of its deepest stage (push a tile as far down as its dependencies allow), oldest first within a
 * stage (the Hilbert order), deleting a tile as soon as its last consumer has run. Gives a topological
 * order of all tasks and the peak number of tiles held on one lane's volume.
 */
export interface Execution {
  readonly order: Uint32Array;
  readonly peakScratchTiles: number;
}

export function depthFirstExecution(dag: Dag, lanes: Lanes): Execution {
  const { depStart, deps, consumerStart, consumers, stageStart } = dag;
  const { laneOf, local } = lanes;
  const total = depStart.length - 1;
  const stageCount = stageStart.length - 1;
  const L = lanes.count;
  const stageOf = new Uint16Array(total);
  for (let si = 0; si < stageCount; si++) stageOf.fill(si, stageStart[si]!, stageStart[si + 1]!);
  const waiting = new Uint32Array(total);
  const unread = new Uint32Array(total);
  for (let t = 0; t < total; t++) {
    waiting[t] = depStart[t + 1]! - depStart[t]!;
    unread[t] = consumerStart[t + 1]! - consumerStart[t]!;
  }
  // FIFO queues per (lane, stage) threaded through one `next` array.
  const head = new Int32Array(L * stageCount).fill(-1);
  const tail = new Int32Array(L * stageCount).fill(-1);
  const next = new Int32Array(total).fill(-1);
  const queued = new Int32Array(L);
  const deepest = new Int32Array(L).fill(-1); // highest stage with a non-empty queue, per lane
  const push = (t: number): void => {
    const lane = laneOf[t]!;
    const stage = stageOf[t]!;
    const q = lane * stageCount + stage;
    if (tail[q] === -1) head[q] = t;
    else next[tail[q]!] = t;
    tail[q] = t;
    queued[lane]!++;
    if (stage > deepest[lane]!) deepest[lane] = stage;
  };
  for (let t = 0; t < total; t++) if (waiting[t] === 0) push(t);

  const held = new Int32Array(L);
  let peak = 0;
  const order = new Uint32Array(total);
  let done = 0;
  while (done < total) {
    const before = done;
    for (let lane = 0; lane < L; lane++) {
      for (let k = 0; k < BATCH && queued[lane]! > 0; k++) {
        const row = lane * stageCount;
        let stage = deepest[lane]!;
        while (head[row + stage] === -1) stage--;
        const q = row + stage;
        const t = head[q]!;
        head[q] = next[t]!;
        if (head[q] === -1) tail[q] = -1;
        deepest[lane] = stage;
        queued[lane]!--;
        order[done++] = t;
        if (local[t] === 1 && ++held[lane]! > peak) peak = held[lane]!;
        for (let e = consumerStart[t]!, end = consumerStart[t + 1]!; e < end; e++) {
          const c = consumers[e]!;
          if (--waiting[c]! === 0) push(c);
        }
        for (let e = depStart[t]!, end = depStart[t + 1]!; e < end; e++) {
          const d = deps[e]!;
          if (--unread[d]! === 0 && local[d] === 1) held[laneOf[d]!]!--;
        }
      }
    }
    if (done === before) throw new Error("the task graph has a cycle: no task is ready");
  }
  return { order, peakScratchTiles: peak };
}
