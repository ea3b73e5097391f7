/**
 * What every task leaves in scratch, and where: the one naming scheme that producers, consumers and the
 * executor's garbage collection agree on. Pure functions of the plan.
 */
import type { Plan } from "../../operator/plan/plan.ts";
import { stageOfTask } from "../../operator/plan/dag.ts";
import { edgeKey, edgeWidth } from "./edges.ts";

/** Where a tile lies in its stage's grid. */
export interface TilePosition {
  readonly stage: number;
  readonly col: number;
  readonly row: number;
}

export function positionOf(plan: Plan, task: number): TilePosition {
  const stage = stageOfTask(plan.dag, task);
  const tile = plan.dag.orders[stage]!.tileOf[task - plan.dag.stageStart[stage]!]!;
  const cols = plan.stages[stage]!.cols;
  return { stage, col: tile % cols, row: Math.floor(tile / cols) };
}

export function taskAt(plan: Plan, stage: number, col: number, row: number): number {
  const s = plan.stages[stage]!;
  return plan.dag.stageStart[stage]! + plan.dag.orders[stage]!.rankOf[row * s.cols + col]!;
}

/** Raw pixels of a step's tile (tiles stages) or of a pyramid level's tile (overview stages). */
export function rawKey(layer: string, col: number, row: number): string {
  return `${layer}/${col}_${row}.tile`;
}

/** One tile's partial statistics for a reduction (partials stages). */
export function partialKey(stage: string, col: number, row: number): string {
  return `${stage}/${col}_${row}.part`;
}

/** What a reduce stage's one task made of every partial: the statistics its consumers' kernels receive. */
export function reducedKey(stage: string): string {
  return `${stage}/reduced`;
}

/** A tile as the output COG stores it (compressed once, by the task that made its pixels). */
export function encodedKey(output: number, level: number, col: number, row: number): string {
  return `out${output}/L${level}/${col}_${row}.enc`;
}

/** Per output, its pyramid's stages (full resolution first): the assemble task's dependencies, in order. */
export function outputLevels(plan: Plan): readonly (readonly number[])[] {
  const levels: number[][] = [];
  plan.stages.forEach((s) => {
    if (s.kind === "assemble") levels[s.index!] = s.deps.map((d) => d.stage);
  });
  return levels;
}

/** For one stage: the outputs (index, pyramid level) whose COG tiles its tasks encode. */
export function encodedBy(plan: Plan, stage: number): readonly { output: number; level: number }[] {
  const found: { output: number; level: number }[] = [];
  outputLevels(plan).forEach((stages, output) => {
    const level = stages.indexOf(stage);
    if (level >= 0) found.push({ output, level });
  });
  return found;
}

/** The raw layers a stage's tasks write: the exported steps, or the pyramid level of an overview stage. */
export function rawLayers(plan: Plan, stage: number): readonly string[] {
  const s = plan.stages[stage]!;
  return s.kind === "overview" ? [s.name] : s.exports;
}

/** Where a product of a task goes: its lane's area, shared scratch, both or nowhere. */
export interface Destinations {
  readonly lane: boolean;
  readonly shared: boolean;
}

/** The scratch areas to write for `dest` (one place when lanes and shared scratch are one area). */
export function areasOf(dest: Destinations, lane: number, oneArea: boolean): (number | "shared")[] {
  const areas: (number | "shared")[] = [];
  if (dest.lane && !oneArea) areas.push(lane);
  if (dest.shared || (dest.lane && oneArea)) areas.push("shared");
  return areas;
}

/**
 * Where a task run by a pod of `runLane` puts a product that consumers of the given kinds read (raw tiles
 * for tile tasks; half-resolution quarters for overview tasks). A task taken from another lane writes to
 * shared scratch only (its own lane's volume is on another node); otherwise the lane's volume when a
 * same-lane task reads it, and shared scratch when another lane, a reduction or a retry elsewhere may
 * (the scheduler lets a task run away from its lane when its inputs are shared). A product no consumer
 * reads is not written: the assembly, for one, reads the encoded tiles.
 */
export function destinations(
  plan: Plan,
  task: number,
  runLane: number,
  readers: "tiles" | "overview",
): Destinations {
  const { laneOf, shared, local } = plan.lanes;
  const { consumerStart, consumers } = plan.dag;
  let read = false;
  for (let e = consumerStart[task]!; e < consumerStart[task + 1]!; e++) {
    const kind = plan.stages[stageOfTask(plan.dag, consumers[e]!)]!.kind;
    if (readers === "overview" ? kind === "overview" : kind !== "overview" && kind !== "assemble")
      read = true;
  }
  if (!read) return { lane: false, shared: false };
  if (laneOf[task] !== runLane) return { lane: false, shared: true };
  return { lane: local[task] === 1, shared: shared[task] === 1 };
}

/** The half-resolution quarter of a pyramid tile, which the overview tile above it is made from. */
export function quarterKey(layer: string, col: number, row: number): string {
  return `${layer}/${col}_${row}.q`;
}

/**
 * Pixels passed from one tile task to the next (raw tiles and their edge strips, quarters), as opposed to what a gather reads
 * from every lane by design (encoded tiles for the assembly, partial statistics for a reduction).
 */
export function isIntermediateKey(key: string): boolean {
  return key.endsWith(".tile") || key.endsWith(".q") || key.endsWith(".l") || key.endsWith(".r");
}

/** The layer a stage's pyramid tiles belong to (the output step at full resolution, else the level's stage). */
export function pyramidLayer(plan: Plan, stage: number): string | null {
  const feeds = encodedBy(plan, stage);
  if (feeds.length === 0) return null;
  const s = plan.stages[stage]!;
  return s.kind === "overview" ? s.name : plan.spec.outputs[feeds[0]!.output]!.step;
}

/** Every scratch key a task may have written (for deletion: absent ones are ignored). */
export function keysOf(plan: Plan, task: number): string[] {
  const { stage, col, row } = positionOf(plan, task);
  const s = plan.stages[stage]!;
  if (s.kind === "partials") return [partialKey(s.name, col, row)];
  if (s.kind === "reduce") return [reducedKey(s.name)];
  const pyramid = pyramidLayer(plan, stage);
  const strips = s.kind === "tiles" && edgeWidth(plan, stage) > 0;
  return [
    ...rawLayers(plan, stage).map((layer) => rawKey(layer, col, row)),
    ...(strips
      ? s.exports.flatMap((layer) => [edgeKey(layer, col, row, "left"), edgeKey(layer, col, row, "right")])
      : []),
    ...(pyramid === null ? [] : [quarterKey(pyramid, col, row)]),
    ...encodedBy(plan, stage).map((e) => encodedKey(e.output, e.level, col, row)),
  ];
}
