/**
 * A stage's done bitmap for the resource's status: the lengths of alternating runs (clear first) as
 * LEB128 varints, base64url. Lanes are contiguous id ranges filled front to back, so a stage in
 * progress is about two runs per lane: a million tiles fit in a few kilobytes.
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
  return Buffer.from(bytes).toString("base64url");
}

/** Decode into a fresh bitmap of `length` bits (0/1 per byte); throws when the runs do not add up to it. */
export function decodeBitmap(text: string, length: number): Uint8Array {
  const bytes = Buffer.from(text, "base64url");
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
