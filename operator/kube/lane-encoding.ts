import { deflateRawSync, inflateRawSync } from "node:zlib";

/**
 * Per-lane values in the resource's status, compact enough for a thousand lanes: a list written as
 * runs, `value*count` (or `value` alone for one), separated by commas. Neighbouring lanes are spatial
 * neighbours and start together, so most lists are a few runs ("0*1000"). Values must not hold ',' or
 * '*' (numbers, node names and phase letters never do).
 */
export function packRuns(values: readonly string[]): string {
  const parts: string[] = [];
  for (let i = 0; i < values.length;) {
    let j = i + 1;
    while (j < values.length && values[j] === values[i]) j++;
    parts.push(j - i === 1 ? values[i]! : `${values[i]}*${j - i}`);
    i = j;
  }
  return parts.join(",");
}

/** The inverse of packRuns; throws when the runs do not make exactly `count` values. */
export function unpackRuns(text: string, count: number): string[] {
  const out: string[] = [];
  if (text !== "" || count !== 0) {
    for (const part of text.split(",")) {
      const star = part.lastIndexOf("*");
      const value = star < 0 ? part : part.slice(0, star);
      const n = star < 0 ? 1 : Number(part.slice(star + 1));
      if (!Number.isSafeInteger(n) || n < 1 || (star >= 0 && !/^\d+$/.test(part.slice(star + 1))))
        throw new RangeError(`'${part}' is not a run value*count`);
      if (out.length + n > count) throw new RangeError(`runs make more than ${count} values`);
      for (let k = 0; k < n; k++) out.push(value);
    }
  }
  if (out.length !== count) throw new RangeError(`runs make ${out.length} values, not ${count}`);
  return out;
}

/** Whole numbers per lane, as runs. */
export function packNumbers(values: ArrayLike<number>): string {
  return packRuns(Array.from(values, String));
}

export function unpackNumbers(text: string, count: number): number[] {
  return unpackRuns(text, count).map((v) => {
    if (!/^\d+$/.test(v)) throw new RangeError(`'${v}' is not a whole number`);
    return Number(v);
  });
}

/**
 * Node per lane ("" while unknown) as runs, deflated, base64url. Cloud node names are long
 * (`ip-10-0-3-17.eu-west-3.compute.internal`) and a thousand lanes may sit on as many nodes: as plain
 * runs that alone would be 40 KB, deflated it is a fraction of that (measured in test/kube/status-size.test.ts).
 */
export function packNodes(nodes: readonly (string | null)[]): string {
  const text = packRuns(nodes.map((n) => n ?? ""));
  return deflateRawSync(Buffer.from(text), { level: 9 }).toString("base64url");
}

export function unpackNodes(packed: string, count: number): (string | null)[] {
  let text: string;
  try {
    text = inflateRawSync(Buffer.from(packed, "base64url")).toString();
  } catch (e) {
    throw new RangeError(`not a packed node list: ${(e as Error).message}`, { cause: e });
  }
  return unpackRuns(text, count).map((n) => (n === "" ? null : n));
}
