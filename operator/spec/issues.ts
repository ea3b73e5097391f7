/** A problem with a spec: a stable code, the field it concerns (`spec.steps[2].params.expression`) and why. */
export interface Issue {
  readonly code: string;
  readonly path: string;
  readonly message: string;
}

export type Checked<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issues: readonly Issue[] };

/** `spec` + ["steps", 2, "params"] → "spec.steps[2].params"; odd keys are quoted. */
export function formatPath(segments: readonly PropertyKey[], root = "spec"): string {
  let out = root;
  for (const s of segments) {
    if (typeof s === "number") out += `[${s}]`;
    else if (typeof s === "string" && /^[A-Za-z_$][\w$-]*$/.test(s)) out += `.${s}`;
    else out += `[${JSON.stringify(String(s))}]`;
  }
  return out;
}

export function formatIssues(issues: readonly Issue[]): string {
  return issues.map((i) => `${i.path}: ${i.message} [${i.code}]`).join("\n");
}
