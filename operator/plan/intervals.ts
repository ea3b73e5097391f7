/**
 * Index sets as sorted, merged, inclusive intervals, printed like Kubernetes' completed indexes:
 * "0-99,120,200-299". parse ∘ format = identity on sets; format ∘ parse normalises.
 */
export type Intervals = readonly (readonly [number, number])[];

export function fromIndexes(indexes: Iterable<number>): Intervals {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const out: [number, number][] = [];
  for (const i of sorted) {
    const last = out.at(-1);
    if (last && last[1] + 1 === i) last[1] = i;
    else out.push([i, i]);
  }
  return out;
}

export function formatIntervals(set: Intervals): string {
  return set.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(",");
}

export function parseIntervals(text: string): Intervals {
  if (text.trim() === "") return [];
  const pairs = text.split(",").map((part): [number, number] => {
    const m = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(part);
    if (!m) throw new SyntaxError(`'${part}' is not an index or a range a-b`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new SyntaxError(`range '${part}' ends before it starts`);
    return [a, b];
  });
  return merge(pairs);
}

export function merge(pairs: Intervals): Intervals {
  const sorted = [...pairs].sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out.at(-1);
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

export function has(set: Intervals, i: number): boolean {
  let lo = 0;
  let hi = set.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const [a, b] = set[mid]!;
    if (i < a) hi = mid - 1;
    else if (i > b) lo = mid + 1;
    else return true;
  }
  return false;
}

export function total(set: Intervals): number {
  return set.reduce((n, [a, b]) => n + b - a + 1, 0);
}
