/** Kubernetes resource quantities ("250m", "1.5", "128Mi", "2G") as plain numbers. */

const SUFFIX: Readonly<Record<string, number>> = {
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
};

export function parseQuantity(q: string | number | undefined): number {
  if (q === undefined) return 0;
  if (typeof q === "number") return q;
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?\d+)?)([a-zA-Z]*)$/.exec(q.trim());
  const scale = m ? SUFFIX[m[2]] : undefined;
  if (!m || scale === undefined) throw new Error(`invalid quantity "${q}"`);
  return Number(m[1]) * scale;
}
