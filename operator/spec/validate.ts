import type { z } from "zod";
import { opOf } from "../../worker/ops/registry.ts";
import { formatPath, type Checked, type Issue } from "./issues.ts";
import { imageChainSpec, type ImageChainSpec, type Step } from "./schema.ts";

/**
 * Structure first (the zod schema), then the semantics a schema cannot say: names, references, input
 * rules of each op, cycles, outputs, and op params that need the input aliases (expressions).
 * Grid-dependent checks (band indexes, lattices) run in the planner, which knows the sources' headers.
 */
export function validateSpec(raw: unknown): Checked<ImageChainSpec> {
  const parsed = imageChainSpec.safeParse(raw);
  if (!parsed.success) return { ok: false, issues: parsed.error.issues.flatMap(fromZod) };
  const issues = semanticIssues(parsed.data);
  return issues.length ? { ok: false, issues } : { ok: true, value: parsed.data };
}

function fromZod(issue: z.core.$ZodIssue): Issue[] {
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({
      code: "unknown-field",
      path: formatPath([...issue.path, key]),
      message: `unknown field '${key}'`,
    }));
  }
  if (issue.code === "invalid_union" && "discriminator" in issue && issue.discriminator) {
    return [{ code: "unknown-op", path: formatPath(issue.path), message: issue.message }];
  }
  return [
    {
      code: `schema-${issue.code.replaceAll("_", "-")}`,
      path: formatPath(issue.path),
      message: issue.message,
    },
  ];
}

function semanticIssues(spec: ImageChainSpec): Issue[] {
  const issues: Issue[] = [];
  const sources = new Set(Object.keys(spec.sources));
  const stepIndex = new Map<string, number>();
  spec.steps.forEach((s, i) => {
    if (sources.has(s.name) || stepIndex.has(s.name)) {
      const other = sources.has(s.name) ? "a source" : `steps[${stepIndex.get(s.name)}]`;
      issues.push({
        code: "duplicate-name",
        path: `spec.steps[${i}].name`,
        message: `'${s.name}' is already the name of ${other}`,
      });
    } else {
      stepIndex.set(s.name, i);
    }
  });
  // A step whose name is taken is not checked further: references to that name are ambiguous.
  spec.steps.forEach((s, i) => {
    if (stepIndex.get(s.name) === i) issues.push(...stepIssues(s, i, sources, stepIndex));
  });
  if (issues.length === 0) issues.push(...cycleIssues(spec.steps, stepIndex));
  const uris = new Map<string, number>();
  spec.outputs.forEach((o, j) => {
    if (!stepIndex.has(o.step)) {
      issues.push({
        code: "unknown-step",
        path: `spec.outputs[${j}].step`,
        message: `no step is named '${o.step}'`,
      });
    }
    const previous = uris.get(o.uri);
    if (previous !== undefined) {
      issues.push({
        code: "duplicate-output",
        path: `spec.outputs[${j}].uri`,
        message: `outputs[${previous}] already writes ${o.uri}`,
      });
    }
    uris.set(o.uri, j);
  });
  return issues;
}

function stepIssues(
  s: Step,
  i: number,
  sources: ReadonlySet<string>,
  steps: ReadonlyMap<string, number>,
): Issue[] {
  const at = `spec.steps[${i}]`;
  const op = opOf(s.op);
  const aliases = Object.keys(s.inputs);
  const rule = op.inputs;
  if (rule.kind === "named") {
    const missing = rule.required.find((r) => !aliases.includes(r));
    if (missing) {
      return [
        { code: "missing-input", path: `${at}.inputs`, message: `${s.op} needs an input named '${missing}'` },
      ];
    }
    const extra = aliases.find((a) => !rule.required.includes(a) && !rule.optional.includes(a));
    if (extra) {
      const allowed = [...rule.required, ...rule.optional].join(", ");
      return [
        {
          code: "unknown-input",
          path: `${at}.inputs.${extra}`,
          message: `${s.op} takes inputs ${allowed}, not '${extra}'`,
        },
      ];
    }
  } else if (aliases.length < rule.min || aliases.length > rule.max) {
    const wanted = rule.min === rule.max ? `${rule.min}` : `${rule.min} to ${rule.max}`;
    return [
      {
        code: "input-count",
        path: `${at}.inputs`,
        message: `${s.op} takes ${wanted} input(s), got ${aliases.length}`,
      },
    ];
  }
  for (const [a, ref] of Object.entries(s.inputs)) {
    if (ref === s.name)
      return [{ code: "cycle", path: `${at}.inputs.${a}`, message: `step '${s.name}' reads its own output` }];
    if (!sources.has(ref) && !steps.has(ref)) {
      return [
        {
          code: "unknown-reference",
          path: `${at}.inputs.${a}`,
          message: `'${ref}' is neither a source nor a step`,
        },
      ];
    }
  }
  return (op.checkParams?.(s.params, aliases) ?? []).map((issue) => ({
    ...issue,
    path: `${at}.${issue.path}`,
  }));
}

/** One issue per cycle, on the edge (in spec order) that closes it. */
function cycleIssues(steps: readonly Step[], index: ReadonlyMap<string, number>): Issue[] {
  const issues: Issue[] = [];
  const state = new Uint8Array(steps.length); // 0 new, 1 on the stack, 2 finished
  const stack: number[] = [];
  const visit = (i: number): void => {
    state[i] = 1;
    stack.push(i);
    for (const [a, ref] of Object.entries(steps[i]!.inputs)) {
      const j = index.get(ref);
      if (j === undefined) continue;
      if (state[j] === 1) {
        const loop = [...stack.slice(stack.indexOf(j)), j].map((k) => steps[k]!.name).join(" → ");
        issues.push({
          code: "cycle",
          path: `spec.steps[${i}].inputs.${a}`,
          message: `the steps form a cycle: ${loop}`,
        });
      } else if (state[j] === 0) {
        visit(j);
      }
    }
    stack.pop();
    state[i] = 2;
  };
  steps.forEach((_, i) => {
    if (state[i] === 0) visit(i);
  });
  return issues;
}

/** Steps in an order where every step comes after the steps it reads (the spec is known to be acyclic). */
export function topologicalSteps(spec: ImageChainSpec): Step[] {
  const byName = new Map(spec.steps.map((s) => [s.name, s]));
  const done = new Set<string>();
  const order: Step[] = [];
  const visit = (s: Step): void => {
    if (done.has(s.name)) return;
    done.add(s.name);
    for (const ref of Object.values(s.inputs)) {
      const up = byName.get(ref);
      if (up) visit(up);
    }
    order.push(s);
  };
  spec.steps.forEach(visit);
  return order;
}
