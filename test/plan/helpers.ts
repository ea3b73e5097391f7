import { plan, type Plan } from "../../operator/plan/plan.ts";
import { validateSpec } from "../../operator/spec/validate.ts";
import type { Grid } from "../../worker/ops/grid.ts";

/** Validate and plan, failing the test with the issues when either step refuses. */
export function planOf(spec: unknown, sources: Record<string, Grid>, lanes?: number): Plan {
  const checked = validateSpec(spec);
  if (!checked.ok) throw new Error(`invalid spec: ${JSON.stringify(checked.issues)}`);
  const planned = plan(checked.value, sources, lanes === undefined ? {} : { lanes });
  if (!planned.ok) throw new Error(`cannot plan: ${JSON.stringify(planned.issues)}`);
  return planned.value;
}
