/** Small helpers over plain JSON values. */

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

export function equalJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => equalJson(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => equalJson(a[k], b[k]));
  }
  return false;
}

export function readPath(value: unknown, path: readonly string[]): unknown {
  let cur = value;
  for (const p of path) {
    if (!isObject(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

/** Evaluates the simple JSONPath of printer columns and kubectl wait: `.status.phase`, `.a.b[0].c`. */
export function jsonPath(value: unknown, path: string): unknown {
  const parts =
    path
      .replace(/^\{?\.?/, "")
      .replace(/\}$/, "")
      .match(/[^.[\]]+|\[\d+\]/g) ?? [];
  let cur = value;
  for (const p of parts) {
    if (p.startsWith("[")) cur = Array.isArray(cur) ? cur[Number(p.slice(1, -1))] : undefined;
    else cur = isObject(cur) ? cur[p] : undefined;
  }
  return cur;
}
