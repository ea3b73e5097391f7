import type { Plan } from "./plan.ts";
import type { Dependency } from "./stages.ts";

/** A Graphviz picture of the stage graph: sources, stages with their steps and tile counts, and how tiles are read. */
export function toDot(plan: Plan, title = "imagechain"): string {
  const lines = [
    `digraph ${quote(title)} {`,
    "  rankdir=LR;",
    '  node [shape=box, style="rounded,filled", fillcolor="#eef3fb", fontname="Helvetica", fontsize=10];',
    '  edge [fontname="Helvetica", fontsize=9];',
  ];
  for (const name of Object.keys(plan.spec.sources)) {
    const g = plan.grids.get(name);
    const size = g ? `\\n${g.width}x${g.height}x${g.bands} ${g.dataType}` : "";
    lines.push(
      `  ${quote(`src:${name}`)} [shape=ellipse, fillcolor="#fff4d6", label=${quote(`${name}${size}`)}];`,
    );
  }
  plan.stages.forEach((s, i) => {
    const tasks = plan.dag.stageStart[i + 1]! - plan.dag.stageStart[i]!;
    const steps = s.steps.length > 1 ? `\\n${s.steps.join(" → ")}` : "";
    const fill =
      s.kind === "assemble"
        ? ', fillcolor="#e3f5e1"'
        : s.kind === "reduce" || s.kind === "partials"
          ? ', fillcolor="#f7e6f2"'
          : "";
    const grid = tasks > 1 ? ` (${s.cols}x${s.rows})` : "";
    lines.push(
      `  s${i} [label=${quote(`${s.name}${steps}\\n${s.kind}: ${tasks} tile${tasks === 1 ? "" : "s"}${grid}`)}${fill}];`,
    );
    for (const src of s.sources) lines.push(`  ${quote(`src:${src}`)} -> s${i};`);
    const byStage = new Map<number, string[]>();
    for (const d of s.deps) byStage.set(d.stage, [...(byStage.get(d.stage) ?? []), describe(d)]);
    for (const [from, labels] of byStage)
      lines.push(`  s${from} -> s${i} [label=${quote(labels.join(" + "))}];`);
  });
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

function describe(d: Dependency): string {
  if (d.kind === "all") return "all tiles";
  if (d.kind === "children") return "2x2";
  const f = d.footprint;
  return f.kind === "halo" ? `halo ${f.radius}px` : f.kind;
}

function quote(s: string): string {
  return `"${s.replaceAll('"', '\\"')}"`;
}
