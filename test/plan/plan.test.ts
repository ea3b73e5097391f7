import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { laneRange } from "../../operator/plan/lanes.ts";
import type { Plan } from "../../operator/plan/plan.ts";
import { summarize } from "../../operator/plan/plan.ts";
import { footprintRegion } from "../../worker/ops/footprint.ts";
import { opOf, type OpName } from "../../worker/ops/registry.ts";
import { baseSpec, SOURCE_GRIDS } from "../spec/fixtures.ts";
import { chainArb } from "./chains.ts";
import { planOf } from "./helpers.ts";

const depsOf = (p: Plan, t: number): number[] => [
  ...p.dag.deps.subarray(p.dag.depStart[t], p.dag.depStart[t + 1]),
];

/** Upstream task ids whose tile rectangles intersect the pixel rectangle [x0, x1) x [y0, y1): by brute force. */
function tilesTouching(p: Plan, stage: number, x0: number, y0: number, x1: number, y1: number): number[] {
  const s = p.stages[stage]!;
  const ts = p.spec.tiling.tileSize;
  const out: number[] = [];
  for (let r = 0; r < s.rows; r++) {
    for (let c = 0; c < s.cols; c++) {
      if (c * ts < x1 && (c + 1) * ts > x0 && r * ts < y1 && (r + 1) * ts > y0) {
        out.push(p.dag.stageStart[stage]! + p.dag.orders[stage]!.rankOf[r * s.cols + c]!);
      }
    }
  }
  return out;
}

/** What a task must read, from the stage's declared dependencies alone. */
function expectedDeps(p: Plan, stage: number, position: number): number[] {
  const s = p.stages[stage]!;
  const ts = p.spec.tiling.tileSize;
  const tile = p.dag.orders[stage]!.tileOf[position]!;
  const col = tile % s.cols;
  const row = Math.floor(tile / s.cols);
  const win = {
    x: col * ts,
    y: row * ts,
    width: Math.min(ts, s.width - col * ts),
    height: Math.min(ts, s.height - row * ts),
  };
  const all = new Set<number>();
  for (const d of s.deps) {
    const up = p.stages[d.stage]!;
    let ids: number[];
    if (d.kind === "all") {
      ids = Array.from({ length: up.cols * up.rows }, (_, i) => p.dag.stageStart[d.stage]! + i);
    } else if (d.kind === "children") {
      ids = tilesTouching(
        p,
        d.stage,
        2 * win.x,
        2 * win.y,
        2 * (win.x + win.width),
        2 * (win.y + win.height),
      );
    } else {
      const region = footprintRegion(d.footprint, win, up.width, up.height);
      ids = region
        ? tilesTouching(p, d.stage, region.x, region.y, region.x + region.width, region.y + region.height)
        : [];
    }
    ids.forEach((i) => all.add(i));
  }
  return [...all].sort((a, b) => a - b);
}

describe("plan: the ndvi chain", () => {
  it("fuses NDVI into the ortho stage, puts the halo in its own stage, adds overviews and the assembly", () => {
    const spec = { ...baseSpec(), tiling: { tileSize: 256 } };
    const p = planOf(spec, SOURCE_GRIDS, 3);
    const s = summarize(p);
    expect(s.stages.map((x) => [x.name, x.steps, x.tasks])).toEqual([
      ["ortho", ["ortho", "ndvi"], 16],
      ["smooth", ["smooth"], 16],
      ["smooth.ov1", [], 4],
      ["smooth.ov2", [], 1],
      ["smooth.cog", [], 1],
    ]);
    expect(s.tasks).toBe(38);
    // sigma 1.5 → radius 5: an inner tile reads its 3 x 3 neighbourhood, a corner tile 2 x 2.
    const inner = p.dag.stageStart[1]! + p.dag.orders[1]!.rankOf[1 * 4 + 1]!;
    const corner = p.dag.stageStart[1]! + p.dag.orders[1]!.rankOf[0]!;
    expect(depsOf(p, inner)).toHaveLength(9);
    expect(depsOf(p, corner)).toHaveLength(4);
    expect(p.stages[1]!.exports).toEqual(["smooth"]);
    expect(p.stages[0]!.exports).toEqual(["ndvi"]);
  });
});

describe("plan: properties over random chains", () => {
  const runs = { numRuns: 60, seed: 42 };

  it("ids are a topological order, and so is the depth-first execution", () => {
    fc.assert(
      fc.property(chainArb, ({ spec, sources, lanes }) => {
        const p = planOf(spec, sources, lanes);
        const n = p.dag.depStart.length - 1;
        for (let t = 0; t < n; t++) for (const d of depsOf(p, t)) expect(d).toBeLessThan(t);
        const position = new Int32Array(n).fill(-1);
        p.order.forEach((t, i) => (position[t] = i));
        expect(position.every((x) => x >= 0)).toBe(true);
        for (let t = 0; t < n; t++)
          for (const d of depsOf(p, t)) expect(position[d]).toBeLessThan(position[t]!);
      }),
      runs,
    );
  });

  it("every task reads exactly the upstream tiles its footprint touches", () => {
    fc.assert(
      fc.property(chainArb, ({ spec, sources, lanes }) => {
        const p = planOf(spec, sources, lanes);
        p.stages.forEach((s, si) => {
          for (let pos = 0; pos < s.cols * s.rows; pos++) {
            const t = p.dag.stageStart[si]! + pos;
            expect(depsOf(p, t).sort((a, b) => a - b)).toEqual(expectedDeps(p, si, pos));
          }
        });
      }),
      runs,
    );
  });

  it("fusion never crosses a halo, a grid change or a reduction", () => {
    fc.assert(
      fc.property(chainArb, ({ spec, sources, lanes }) => {
        const p = planOf(spec, sources, lanes);
        const steps = new Map(p.spec.steps.map((s) => [s.name, s]));
        for (const stage of p.stages) {
          const head = stage.steps[0];
          for (const name of stage.steps.slice(1)) {
            const step = steps.get(name)!;
            const op = opOf(step.op as OpName);
            const out = p.grids.get(name)!;
            for (const [alias, ref] of Object.entries(step.inputs)) {
              expect(op.footprint(step.params, alias, p.grids.get(ref)!, out).kind).toBe("pointwise");
            }
            expect([out.width, out.height]).toEqual([p.grids.get(head!)!.width, p.grids.get(head!)!.height]);
          }
        }
      }),
      runs,
    );
  });

  it("lanes cover every task once, as contiguous runs, and cross-lane reads are shared", () => {
    fc.assert(
      fc.property(chainArb, ({ spec, sources, lanes }) => {
        const p = planOf(spec, sources, lanes);
        const { laneOf, shared } = p.lanes;
        expect(laneOf.length).toBe(p.dag.depStart.length - 1);
        p.stages.forEach((_, si) => {
          const start = p.dag.stageStart[si]!;
          const n = p.dag.stageStart[si + 1]! - start;
          for (let lane = 0; lane < lanes; lane++) {
            const [first, end] = laneRange(n, lanes, lane);
            for (let q = first; q < end; q++) expect(laneOf[start + q]).toBe(lane);
          }
          for (let t = start + 1; t < start + n; t++)
            expect(laneOf[t]! - laneOf[t - 1]!).toBeGreaterThanOrEqual(0);
        });
        for (let t = 0; t < laneOf.length; t++) {
          expect(laneOf[t]).toBeLessThan(lanes);
          for (const d of depsOf(p, t)) if (laneOf[d] !== laneOf[t]) expect(shared[d]).toBe(1);
        }
      }),
      runs,
    );
  });
});
