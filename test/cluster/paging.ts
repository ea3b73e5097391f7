/**
 * List chunking (`limit` and `continue`). Items come in (namespace, name) order; the token
 * carries the list's resourceVersion and the last key served. Later chunks show the current
 * state rather than a snapshot, and a token older than the watch history expires (410).
 */
import { ApiError, badRequest } from "./errors.ts";
import type { KubeObject } from "./resources.ts";

interface Token {
  readonly rv: number;
  readonly after: string;
}

export interface Page {
  readonly items: KubeObject[];
  readonly resourceVersion: string;
  readonly continue?: string;
  readonly remainingItemCount?: number;
}

function keyOf(o: KubeObject): string {
  return `${o.metadata.namespace ?? ""}/${o.metadata.name ?? ""}`;
}

function decode(token: string): Token {
  try {
    const t = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as Token;
    if (typeof t.rv === "number" && typeof t.after === "string") return t;
  } catch {
    // reported below
  }
  throw badRequest(`invalid continue token "${token}"`);
}

export function page(
  items: readonly KubeObject[],
  currentRv: number,
  oldestRv: number,
  limit?: string,
  token?: string,
): Page {
  const sorted = [...items].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  let rv = currentRv;
  let start = 0;
  if (token) {
    const t = decode(token);
    if (t.rv < oldestRv) {
      throw new ApiError(
        410,
        "Expired",
        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.",
      );
    }
    rv = t.rv;
    start = sorted.findIndex((o) => keyOf(o) > t.after);
    if (start < 0) start = sorted.length;
  }
  const n = limit ? Number(limit) : 0;
  if (!(n > 0) || start + n >= sorted.length)
    return { items: sorted.slice(start), resourceVersion: String(rv) };
  const chunk = sorted.slice(start, start + n);
  const next = Buffer.from(
    JSON.stringify({ rv, after: keyOf(chunk[chunk.length - 1]) } satisfies Token),
  ).toString("base64url");
  return {
    items: chunk,
    resourceVersion: String(rv),
    continue: next,
    remainingItemCount: sorted.length - start - n,
  };
}
