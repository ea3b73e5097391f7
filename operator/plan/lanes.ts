import type { Dag } from "./dag.ts";
import type { Stage } from "./stages.ts";

/**
 * Lanes: each stage's Hilbert order cut into `count` equal contiguous runs, lane i taking run i of
 * every stage, so a lane is a compact spatial block on every grid and most halos stay inside it.
 */
export interface Lanes {
  readonly count: number;
  readonly laneOf: Uint16Array; // per task
  /** 1 when the tile is also written to shared scratch: read by another lane, a reduction or an assembly. */
  readonly shared: Uint8Array;
  /** 1 when the tile is kept on the lane's volume: read by a same-lane tile task. */
  readonly local: Uint8Array;
  /** Tiles read by a tile task of another lane (reductions and assemblies gather from every lane by design). */
  readonly crossLaneTiles: number;
}

export const MAX_LANES = 65535;

/** Lane of position `p` among `n` tasks of a stage: run floor(p * count / n). */
export function laneOfPosition(p: number, n: number, count: number): number {
  return Math.floor((p * count) / n);
}

export function assignLanes(stages: readonly Stage[], dag: Dag, count: number): Lanes {
  if (!Number.isInteger(count) || count < 1 || count > MAX_LANES)
    throw new RangeError(`lanes must be 1..${MAX_LANES}, got ${count}`);
  const total = dag.depStart.length - 1;
  const laneOf = new Uint16Array(total);
  const gathers = new Uint8Array(total); // tasks that collect from everywhere: reductions and assemblies
  stages.forEach((s, si) => {
    const start = dag.stageStart[si]!;
    const n = dag.stageStart[si + 1]! - start;
    for (let p = 0; p < n; p++) laneOf[start + p] = laneOfPosition(p, n, count);
    if (s.kind === "reduce" || s.kind === "assemble") gathers.fill(1, start, start + n);
  });
  const shared = new Uint8Array(total);
  const local = new Uint8Array(total);
  let crossLaneTiles = 0;
  for (let t = 0; t < total; t++) {
    let cross = 0;
    for (let e = dag.consumerStart[t]!; e < dag.consumerStart[t + 1]!; e++) {
      const c = dag.consumers[e]!;
      if (gathers[c] === 1) {
        shared[t] = 1;
      } else if (laneOf[c] !== laneOf[t]) {
        shared[t] = 1;
        cross = 1;
      } else {
        local[t] = 1;
      }
    }
    crossLaneTiles += cross;
  }
  return { count, laneOf, shared, local, crossLaneTiles };
}

/** The positions [first, end) of a stage's `n` tasks that fall to `lane`: the inverse of laneOfPosition. */
export function laneRange(n: number, count: number, lane: number): readonly [number, number] {
  return [Math.ceil((lane * n) / count), Math.ceil(((lane + 1) * n) / count)];
}
