import { footprintRegion } from "../../worker/ops/footprint.ts";
import { hilbertOrder, type TileOrder } from "./hilbert.ts";
import type { Dependency, Stage } from "./stages.ts";

/**
 * The task DAG in compressed sparse rows. Task ids run stage by stage (`stageStart`), and inside a
 * stage in the Hilbert order of its tile grid, so a lane is a contiguous id range and a progress
 * bitmap is a few runs. Every dependency points to a lower id: id order is a topological order.
 */
export interface Dag {
  readonly stageStart: Uint32Array; // stages + 1 entries
  readonly orders: readonly TileOrder[]; // per stage
  readonly depStart: Uint32Array; // tasks + 1 entries
  readonly deps: Uint32Array;
  readonly consumerStart: Uint32Array;
  readonly consumers: Uint32Array;
}

export function taskCount(dag: Dag): number {
  return dag.depStart.length - 1;
}

/** The stage a task belongs to (binary search over the stage offsets). */
export function stageOfTask(dag: Dag, task: number): number {
  let lo = 0;
  let hi = dag.stageStart.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (dag.stageStart[mid]! <= task) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

class U32Builder {
  data = new Uint32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const grown = new Uint32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = v;
  }
  finish(): Uint32Array {
    return this.data.slice(0, this.length);
  }
}

export function buildDag(stages: readonly Stage[], tileSize: number): Dag {
  const orderCache = new Map<string, TileOrder>();
  const orders = stages.map((s) => {
    const key = `${s.cols}x${s.rows}`;
    let order = orderCache.get(key);
    if (!order) orderCache.set(key, (order = hilbertOrder(s.cols, s.rows)));
    return order;
  });
  const stageStart = new Uint32Array(stages.length + 1);
  stages.forEach((s, i) => (stageStart[i + 1] = stageStart[i]! + s.cols * s.rows));
  const total = stageStart[stages.length]!;
  const depStart = new Uint32Array(total + 1);
  const deps = new U32Builder();
  const scratch: number[] = [];

  stages.forEach((stage, si) => {
    const { tileOf } = orders[si]!;
    const base = stageStart[si]!;
    // Two footprints on one upstream stage can name a tile twice: only then sort and deduplicate.
    const upstreams = stage.deps.map((d) => d.stage);
    const overlapping = new Set(upstreams).size !== upstreams.length;
    for (let p = 0; p < tileOf.length; p++) {
      const tile = tileOf[p]!;
      const col = tile % stage.cols;
      const row = (tile - col) / stage.cols;
      if (overlapping) {
        scratch.length = 0;
        for (const dep of stage.deps)
          collect(dep, col, row, stage, stages, orders, stageStart, tileSize, scratch);
        scratch.sort((a, b) => a - b);
        for (let i = 0; i < scratch.length; i++)
          if (i === 0 || scratch[i] !== scratch[i - 1]) deps.push(scratch[i]!);
      } else {
        for (const dep of stage.deps)
          collect(dep, col, row, stage, stages, orders, stageStart, tileSize, deps);
      }
      depStart[base + p + 1] = deps.length;
    }
  });
  const depArray = deps.finish();
  const { start: consumerStart, items: consumers } = transpose(depStart, depArray, total);
  return { stageStart, orders, depStart, deps: depArray, consumerStart, consumers };
}

/** Append to `out` the task ids of `dep` that the tile (col, row) of `stage` reads. */
function collect(
  dep: Dependency,
  col: number,
  row: number,
  stage: Stage,
  stages: readonly Stage[],
  orders: readonly TileOrder[],
  stageStart: Uint32Array,
  tileSize: number,
  out: { push(v: number): void },
): void {
  const up = stages[dep.stage]!;
  const rankOf = orders[dep.stage]!.rankOf;
  const base = stageStart[dep.stage]!;
  if (dep.kind === "all") {
    for (let p = 0; p < rankOf.length; p++) out.push(base + p);
    return;
  }
  let c0: number, c1: number, r0: number, r1: number;
  if (dep.kind === "children") {
    c0 = 2 * col;
    r0 = 2 * row;
    c1 = Math.min(c0 + 1, up.cols - 1);
    r1 = Math.min(r0 + 1, up.rows - 1);
  } else {
    const x = col * tileSize;
    const y = row * tileSize;
    const fp = dep.footprint;
    let x0: number, y0: number, x1: number, y1: number; // pixel bounds, end exclusive
    if (fp.kind === "pointwise" || fp.kind === "halo") {
      const r = fp.kind === "halo" ? fp.radius : 0;
      x0 = Math.max(0, x - r);
      y0 = Math.max(0, y - r);
      x1 = Math.min(up.width, Math.min(x + tileSize, stage.width) + r);
      y1 = Math.min(up.height, Math.min(y + tileSize, stage.height) + r);
      if (x1 <= x0 || y1 <= y0) return;
    } else {
      const tile = {
        x,
        y,
        width: Math.min(tileSize, stage.width - x),
        height: Math.min(tileSize, stage.height - y),
      };
      const region = footprintRegion(fp, tile, up.width, up.height);
      if (region === null) return;
      ({ x: x0, y: y0 } = region);
      x1 = x0 + region.width;
      y1 = y0 + region.height;
    }
    c0 = Math.floor(x0 / tileSize);
    r0 = Math.floor(y0 / tileSize);
    c1 = Math.floor((x1 - 1) / tileSize);
    r1 = Math.floor((y1 - 1) / tileSize);
  }
  for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) out.push(base + rankOf[r * up.cols + c]!);
}

/** Reverse a CSR adjacency (deps → consumers) with a counting pass: no object per edge. */
function transpose(
  start: Uint32Array,
  items: Uint32Array,
  n: number,
): { start: Uint32Array; items: Uint32Array } {
  const outStart = new Uint32Array(n + 1);
  for (let i = 0; i < items.length; i++) outStart[items[i]! + 1]!++;
  for (let i = 0; i < n; i++) outStart[i + 1]! += outStart[i]!;
  const fill = outStart.slice(0, n);
  const out = new Uint32Array(items.length);
  for (let t = 0; t < n; t++) {
    for (let e = start[t]!; e < start[t + 1]!; e++) out[fill[items[e]!]!++] = t;
  }
  return { start: outStart, items: out };
}
