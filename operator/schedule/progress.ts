import { deflateRawSync, inflateRawSync } from "node:zlib";

/**
 * A stage's done bitmap for the resource's status: the lengths of alternating runs (clear first) as
 * LEB128 varints, deflated, base64url. Lanes are contiguous id ranges filled roughly front to back, so
 * a stage is a few runs per lane plus short holes along the depth-first frontier, which deflate
 * squeezes: a million-tile chain half done fits in about 20 KB.
 */

export function encodeBitmap(bits: Uint8Array, start = 0, end = bits.length): string {
  const bytes: number[] = [];
  let value = 0;
  let i = start;
  while (i < end) {
    let j = i;
    while (j < end && (bits[j] !== 0 ? 1 : 0) === value) j++;
    writeVarint(bytes, j - i);
    i = j;
    value ^= 1;
  }
  return deflateRawSync(Buffer.from(bytes), { level: 9 }).toString("base64url");
}

/** Decode into a fresh bitmap of `length` bits (0/1 per byte); throws when the runs do not add up to it. */
export function decodeBitmap(text: string, length: number): Uint8Array {
  let bytes: Buffer;
  try {
    bytes = inflateRawSync(Buffer.from(text, "base64url"));
  } catch (e) {
    throw new RangeError(`not a progress bitmap: ${(e as Error).message}`, { cause: e });
  }
  const bits = new Uint8Array(length);
  let pos = 0;
  let value = 0;
  for (let i = 0; i < bytes.length;) {
    let run = 0;
    let shift = 0;
    let b: number;
    do {
      if (i >= bytes.length) throw new RangeError("truncated bitmap");
      b = bytes[i++]!;
      run += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    if (pos + run > length) throw new RangeError(`bitmap runs exceed ${length} bits`);
    if (value === 1) bits.fill(1, pos, pos + run);
    pos += run;
    value ^= 1;
  }
  if (pos !== length) throw new RangeError(`bitmap runs cover ${pos} of ${length} bits`);
  return bits;
}

function writeVarint(out: number[], n: number): void {
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
}

/** The status fields that describe progress: counts, and per stage a done bitmap over its task ids. */
export interface ProgressStatus {
  readonly progress: string;
  readonly tiles: { readonly total: number; readonly succeeded: number; readonly running: number };
  readonly stages: readonly {
    readonly name: string;
    readonly steps: readonly string[];
    readonly tiles: number;
    readonly succeeded: number;
    readonly done: string;
  }[];
}

/** Done means done or done-and-deleted (task states ≥ 2); running is state 1. */
export function progressStatus(
  stages: readonly { readonly name: string; readonly steps: readonly string[] }[],
  stageStart: Uint32Array,
  tasks: Uint8Array,
): ProgressStatus {
  const done = new Uint8Array(tasks.length);
  let succeeded = 0;
  let running = 0;
  for (let t = 0; t < tasks.length; t++) {
    if (tasks[t]! >= 2) {
      done[t] = 1;
      succeeded++;
    } else if (tasks[t] === 1) {
      running++;
    }
  }
  return {
    progress: `${succeeded}/${tasks.length}`,
    tiles: { total: tasks.length, succeeded, running },
    stages: stages.map((s, i) => {
      const [start, end] = [stageStart[i]!, stageStart[i + 1]!];
      let n = 0;
      for (let t = start; t < end; t++) n += done[t]!;
      return {
        name: s.name,
        steps: s.steps,
        tiles: end - start,
        succeeded: n,
        done: encodeBitmap(done, start, end),
      };
    }),
  };
}
