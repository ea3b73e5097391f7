import type { Footprint } from "../../worker/ops/footprint.ts";
import type { Grid } from "../../worker/ops/grid.ts";
import { opOf } from "../../worker/ops/registry.ts";
import type { ImageChainSpec } from "../spec/schema.ts";
import { topologicalSteps } from "../spec/validate.ts";

/**
 * - tiles: a head step and the pointwise steps fused after it, one task per tile of its grid
 * - partials / reduce: the two halves of a global reduction (per-tile partials, then one task)
 * - overview: one level of an output's overview pyramid, each tile made from the 2x2 tiles below
 * - assemble: one task per output that streams every level's tiles into the COG
 */
export type StageKind = "tiles" | "partials" | "reduce" | "overview" | "assemble";

/** Which tiles of an upstream stage one tile of this stage reads. */
export type Dependency =
  | { readonly kind: "footprint"; readonly stage: number; readonly footprint: Footprint }
  | { readonly kind: "all"; readonly stage: number }
  | { readonly kind: "children"; readonly stage: number };

export interface Stage {
  readonly name: string;
  readonly kind: StageKind;
  /** Steps a task computes, in order (the head first); empty for overview and assemble stages. */
  readonly steps: readonly string[];
  /** Steps whose tiles a task materialises: read by another stage or written to an output. */
  readonly exports: readonly string[];
  /** Pixel size of the stage's grid (1 x 1 for single-task stages). */
  readonly width: number;
  readonly height: number;
  readonly cols: number;
  readonly rows: number;
  readonly deps: readonly Dependency[];
  /** Sources a task reads directly (their tiles are always available: no dependency). */
  readonly sources: readonly string[];
  /** For overview stages, the level (1 = half resolution); for assemble stages, the output index. */
  readonly index?: number;
}

interface Draft {
  name: string;
  kind: StageKind;
  steps: string[];
  width: number;
  height: number;
  deps: Dependency[];
  sources: string[];
  index?: number;
}

const POINTWISE: Footprint = { kind: "pointwise" };

/** Cut the step DAG into stages: fuse pointwise steps on one grid, split reductions, add overviews and assembly. */
export function buildStages(spec: ImageChainSpec, grids: ReadonlyMap<string, Grid>): Stage[] {
  const tileSize = spec.tiling.tileSize;
  const drafts: Draft[] = [];
  const stageOf = new Map<string, number>();
  const add = (d: Draft): number => drafts.push(d) - 1;
  const sized = (g: { width: number; height: number }) => ({ width: g.width, height: g.height });

  for (const step of topologicalSteps(spec)) {
    const op = opOf(step.op);
    const out = grids.get(step.name)!;
    const inputs = Object.entries(step.inputs).map(([alias, ref]) => ({
      ref,
      upstream: stageOf.get(ref),
      footprint: op.footprint(step.params, alias, grids.get(ref)!, out),
    }));
    const reduction = inputs.find((i) => i.footprint.kind === "reduction");
    if (reduction) {
      const readsSource = reduction.upstream === undefined ? [reduction.ref] : [];
      const upstreamDeps: Dependency[] =
        reduction.upstream === undefined
          ? []
          : [{ kind: "footprint", stage: reduction.upstream, footprint: POINTWISE }];
      const partials = add({
        name: `${step.name}.partials`,
        kind: "partials",
        steps: [],
        ...sized(grids.get(reduction.ref)!),
        deps: upstreamDeps,
        sources: readsSource,
      });
      const reduce = add({
        name: `${step.name}.reduce`,
        kind: "reduce",
        steps: [],
        width: 1,
        height: 1,
        deps: [{ kind: "all", stage: partials }],
        sources: [],
      });
      const deps: Dependency[] = [...upstreamDeps, { kind: "all", stage: reduce }];
      stageOf.set(
        step.name,
        add({
          name: step.name,
          kind: "tiles",
          steps: [step.name],
          ...sized(out),
          deps,
          sources: readsSource,
        }),
      );
      continue;
    }
    // Fuse into the latest upstream stage; the other upstreams (all earlier, on the same lattice since
    // the step is pointwise) become pointwise dependencies of that stage: narrow dependencies pipeline.
    const upstreams = [...new Set(inputs.flatMap((i) => (i.upstream === undefined ? [] : [i.upstream])))];
    const hostIndex = upstreams.length ? Math.max(...upstreams) : -1;
    const host = drafts[hostIndex];
    const sourceRefs = inputs.flatMap((i) => (i.upstream === undefined ? [i.ref] : []));
    const fusable =
      host !== undefined &&
      inputs.every((i) => i.footprint.kind === "pointwise") &&
      host.kind === "tiles" &&
      host.width === out.width &&
      host.height === out.height;
    if (fusable) {
      host.steps.push(step.name);
      host.sources.push(...sourceRefs.filter((r) => !host.sources.includes(r)));
      for (const u of upstreams) {
        const known = host.deps.some(
          (d) => d.stage === u && d.kind === "footprint" && d.footprint.kind === "pointwise",
        );
        if (u !== hostIndex && !known) host.deps.push({ kind: "footprint", stage: u, footprint: POINTWISE });
      }
      stageOf.set(step.name, hostIndex);
      continue;
    }
    const deps = inputs.flatMap((i): Dependency[] =>
      i.upstream === undefined ? [] : [{ kind: "footprint", stage: i.upstream, footprint: i.footprint }],
    );
    const sources = [...new Set(sourceRefs)];
    stageOf.set(
      step.name,
      add({ name: step.name, kind: "tiles", steps: [step.name], ...sized(out), deps, sources }),
    );
  }

  const levelsOf = new Map<string, number[]>();
  for (const o of spec.outputs) {
    if (levelsOf.has(o.step)) continue;
    const levels = [stageOf.get(o.step)!];
    let { width, height } = grids.get(o.step)!;
    for (let level = 1; Math.max(width, height) > tileSize; level++) {
      width = Math.ceil(width / 2);
      height = Math.ceil(height / 2);
      const below = levels.at(-1)!;
      levels.push(
        add({
          name: `${o.step}.ov${level}`,
          kind: "overview",
          steps: [],
          width,
          height,
          deps: [{ kind: "children", stage: below }],
          sources: [],
          index: level,
        }),
      );
    }
    levelsOf.set(o.step, levels);
  }
  spec.outputs.forEach((o, j) => {
    const first = spec.outputs.findIndex((p) => p.step === o.step) === j;
    const deps = levelsOf.get(o.step)!.map((stage): Dependency => ({ kind: "all", stage }));
    add({
      name: first ? `${o.step}.cog` : `${o.step}.cog${j}`,
      kind: "assemble",
      steps: [],
      width: 1,
      height: 1,
      deps,
      sources: [],
      index: j,
    });
  });

  const exported = exportedSteps(spec, stageOf);
  return drafts.map((d) => ({
    ...d,
    exports: d.steps.filter((s) => exported.has(s)),
    cols: d.kind === "reduce" || d.kind === "assemble" ? 1 : Math.ceil(d.width / tileSize),
    rows: d.kind === "reduce" || d.kind === "assemble" ? 1 : Math.ceil(d.height / tileSize),
  }));
}

/** Steps read outside their own stage, or written to an output: these are materialised. */
function exportedSteps(spec: ImageChainSpec, stageOf: ReadonlyMap<string, number>): Set<string> {
  const exported = new Set(spec.outputs.map((o) => o.step));
  for (const step of spec.steps) {
    for (const ref of Object.values(step.inputs)) {
      if (stageOf.has(ref) && stageOf.get(ref) !== stageOf.get(step.name)) {
        exported.add(ref);
      }
    }
  }
  return exported;
}
