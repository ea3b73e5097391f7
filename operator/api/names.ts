import type { ChainNode } from "./node.ts";

const MAX = 63;

/** `s3://l1c/T31TCJ_20260101.tif` → `t31tcj-20260101`: a source name (`[a-z][a-z0-9-]*`) from its file name. */
export function nameFromUri(uri: string): string {
  const file =
    uri
      .replace(/[?#].*$/, "")
      .replace(/\/+$/, "")
      .split("/")
      .pop() ?? "";
  const base = file
    .replace(/\.[^.]*$/, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^[^a-z]+|-+$/g, "");
  return base === "" ? "source" : base.slice(0, MAX - 4).replace(/-+$/, "");
}

/**
 * Names for nodes the user did not name, in creation order: a source's from its URI, a step's from its op,
 * with `-2`, `-3`… when taken. Explicit names are never changed (a clash between them is the validator's to
 * report), so the same code always gives the same names.
 */
export function assignNames(nodes: readonly ChainNode[]): Map<ChainNode, string> {
  const taken = new Set(nodes.flatMap((n) => (n.name === undefined ? [] : [n.name])));
  const names = new Map<ChainNode, string>();
  for (const n of nodes) {
    if (n.name !== undefined) {
      names.set(n, n.name);
      continue;
    }
    const base = n.kind === "source" ? nameFromUri(n.uri) : n.op;
    let name = base;
    for (let i = 2; taken.has(name); i++) name = `${base}-${i}`;
    taken.add(name);
    names.set(n, name);
  }
  return names;
}
