/**
 * Edge strips: a tile that a tile task of another lane reads with a halo is also put in shared scratch as
 * two thin strips, its leftmost and rightmost columns as wide as the widest halo on its stage. A tile's
 * rows are one byte range each, so the neighbour above or below reads just its rows; the neighbour to the
 * side needs a few columns of every row, which in a whole tile means the whole tile, fetched from
 * another node. With the strips, what crosses lanes is what the halo needs.
 */
import { stageOfTask } from "../../operator/plan/dag.ts";
import type { Plan } from "../../operator/plan/plan.ts";
import type { Window } from "../io/raster.ts";

export type Side = "left" | "right";

/** The strip of `side` of a layer's tile. */
export function edgeKey(layer: string, col: number, row: number, side: Side): string {
  return `${layer}/${col}_${row}.${side === "left" ? "l" : "r"}`;
}

/** Columns per strip of a stage's tiles: the widest halo any stage reads them with (0: no strips). */
export function edgeWidth(plan: Plan, stage: number): number {
  let width = 0;
  for (const s of plan.stages)
    for (const d of s.deps)
      if (d.kind === "footprint" && d.stage === stage && d.footprint.kind === "halo")
        width = Math.max(width, d.footprint.radius);
  return width < plan.spec.tiling.tileSize / 2 ? width : 0;
}

/** Whether a tile task of another lane than the task's own reads the task's tiles. */
export function readAcrossLanes(plan: Plan, task: number): boolean {
  const { consumerStart, consumers } = plan.dag;
  for (let e = consumerStart[task]!; e < consumerStart[task + 1]!; e++) {
    const c = consumers[e]!;
    const kind = plan.stages[stageOfTask(plan.dag, c)]!.kind;
    if (kind === "tiles" && plan.lanes.laneOf[c] !== plan.lanes.laneOf[task]) return true;
  }
  return false;
}

/** The windows (in the tile's pixels) of a tile's two strips. */
export function stripWindows(tile: Window, width: number): Record<Side, Window> {
  const w = Math.min(width, tile.width);
  return {
    left: { x: 0, y: 0, width: w, height: tile.height },
    right: { x: tile.width - w, y: 0, width: w, height: tile.height },
  };
}

/** The strip that holds `part` of a tile (a window in the tile's pixels), if one does: its side and window. */
export function stripFor(part: Window, tile: Window, width: number): { side: Side; strip: Window } | null {
  if (width === 0 || part.width >= tile.width) return null;
  const strips = stripWindows(tile, width);
  if (part.x + part.width <= strips.left.width) return { side: "left", strip: strips.left };
  if (part.x >= strips.right.x) return { side: "right", strip: strips.right };
  return null;
}
