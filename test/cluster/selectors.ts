/** Label selectors (equality- and set-based) and field selectors over dotted object paths. */
import { badRequest } from "./errors.ts";
import type { KubeObject } from "./resources.ts";

type Requirement =
  | { readonly op: "=" | "!="; readonly key: string; readonly values: readonly string[] }
  | { readonly op: "in" | "notin"; readonly key: string; readonly values: readonly string[] }
  | { readonly op: "exists" | "!exists"; readonly key: string; readonly values: readonly string[] };

export type Matcher = (object: KubeObject) => boolean;

/** Splits on commas that are not inside parentheses. */
function terms(selector: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      out.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  out.push(selector.slice(start));
  return out.map((t) => t.trim()).filter((t) => t !== "");
}

function parseLabelTerm(term: string): Requirement {
  const set = /^([^\s!=]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (set) {
    const values = set[3].split(",").map((v) => v.trim());
    return { op: set[2] as "in" | "notin", key: set[1], values };
  }
  const eq = /^([^\s!=]+)\s*(==|=|!=)\s*([^\s]*)$/.exec(term);
  if (eq) return { op: eq[2] === "!=" ? "!=" : "=", key: eq[1], values: [eq[3]] };
  const exists = /^(!?)([^\s!=()]+)$/.exec(term);
  if (exists) return { op: exists[1] ? "!exists" : "exists", key: exists[2], values: [] };
  throw badRequest(`unable to parse requirement: invalid label selector term "${term}"`);
}

function matchRequirement(r: Requirement, value: string | undefined): boolean {
  switch (r.op) {
    case "=":
      return value === r.values[0];
    case "!=":
      return value !== r.values[0];
    case "in":
      return value !== undefined && r.values.includes(value);
    case "notin":
      return value === undefined || !r.values.includes(value);
    case "exists":
      return value !== undefined;
    case "!exists":
      return value === undefined;
  }
}

export function labelMatcher(selector: string | undefined): Matcher {
  if (!selector) return () => true;
  const requirements = terms(selector).map(parseLabelTerm);
  return (object) => {
    const labels = object.metadata.labels ?? {};
    return requirements.every((r) => matchRequirement(r, labels[r.key]));
  };
}

/** Reads a dotted path such as `spec.nodeName` or `involvedObject.uid`; non-scalars read as "". */
export function fieldValue(object: unknown, path: string): string {
  let cur: unknown = object;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object") return "";
    cur = (cur as Record<string, unknown>)[part];
  }
  return typeof cur === "string" || typeof cur === "number" || typeof cur === "boolean" ? String(cur) : "";
}

export function fieldMatcher(selector: string | undefined): Matcher {
  if (!selector) return () => true;
  const requirements = terms(selector).map((term) => {
    const m = /^([^\s!=]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid field selector term "${term}"`);
    return { path: m[1], negate: m[2] === "!=", value: m[3].trim() };
  });
  return (object) => requirements.every((r) => (fieldValue(object, r.path) === r.value) !== r.negate);
}

/** matchLabels / matchExpressions as used in node affinity terms and label selectors in specs. */
export interface SelectorRequirement {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[];
}

export function matchExpression(req: SelectorRequirement, labels: Record<string, string>): boolean {
  const value = labels[req.key];
  const values = req.values ?? [];
  switch (req.operator) {
    case "In":
      return value !== undefined && values.includes(value);
    case "NotIn":
      return value === undefined || !values.includes(value);
    case "Exists":
      return value !== undefined;
    case "DoesNotExist":
      return value === undefined;
    case "Gt":
      return value !== undefined && Number(value) > Number(values[0]);
    case "Lt":
      return value !== undefined && Number(value) < Number(values[0]);
    default:
      return false;
  }
}
