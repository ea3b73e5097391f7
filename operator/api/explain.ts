import { summarize, type Plan } from "../plan/plan.ts";

/**
 * The stage graph, one stage a line, with what each stage reads (sources and upstream stages):
 *   [1] smooth  tiles  20 tasks (5x4 tiles)  smooth  ← ndvi
 */
export function describePlan(p: Plan): string {
  const s = summarize(p);
  const width = Math.max(...s.stages.map((x) => x.name.length));
  const lines = s.stages.map((x, i) => {
    const stage = p.stages[i]!;
    const reads = [...stage.sources, ...new Set(stage.deps.map((d) => p.stages[d.stage]!.name))];
    const tasks = `${x.tasks} task${x.tasks === 1 ? "" : "s"}${x.tasks > 1 ? ` (${x.grid})` : ""}`;
    const steps = x.steps.length ? `  ${x.steps.join(" → ")}` : "";
    return `[${i}] ${x.name.padEnd(width)}  ${x.kind.padEnd(8)}  ${tasks}${steps}${reads.length ? `  ← ${reads.join(", ")}` : ""}`;
  });
  return [
    ...lines,
    `${s.tasks} tasks, ${s.edges} edges, ${s.lanes} lanes, ${s.crossLaneTiles} cross-lane tiles, peak scratch ${s.peakScratchTiles} tiles per lane`,
    "",
  ].join("\n");
}
