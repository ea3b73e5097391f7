/**
 * TIFF LZW encoder (compression 5): MSB-first codes of 9..12 bits, ClearCode 256, EndOfInformation 257,
 * with libtiff's "early change" code widths, so that every TIFF reader decodes it.
 */
const CLEAR = 256;
const EOI = 257;
const FIRST = 258;
const TABLE_FULL = 4094; // libtiff resets before the 4096th code so a code never needs 13 bits

/*
 * (prefix code << 8 | next byte) → generation << 12 | code. A new generation per Clear invalidates every
 * entry without touching 4 MiB of memory; the encoder is synchronous, so one shared table is safe.
 */
const table = new Uint32Array(4096 * 256);
let generation = 0;

function nextGeneration(): number {
  if (++generation >= 1 << 20) {
    table.fill(0);
    generation = 1;
  }
  return generation;
}

export function lzwEncode(input: Uint8Array): Uint8Array {
  let out = new Uint8Array(Math.max(1024, (input.length >> 1) + 64));
  let length = 0;
  let bits = 0;
  let bitCount = 0;
  const emit = (code: number, width: number): void => {
    bits = (bits << width) | code;
    bitCount += width;
    while (bitCount >= 8) {
      if (length === out.length) {
        const grown = new Uint8Array(out.length * 2);
        grown.set(out);
        out = grown;
      }
      bitCount -= 8;
      out[length++] = (bits >>> bitCount) & 0xff;
    }
    bits &= (1 << bitCount) - 1;
  };

  let gen = nextGeneration();
  let width = 9;
  let maxCode = 511;
  let free = FIRST;
  emit(CLEAR, width);
  if (input.length > 0) {
    let prefix = input[0]!;
    for (let i = 1; i < input.length; i++) {
      const c = input[i]!;
      const key = (prefix << 8) | c;
      const entry = table[key]!;
      if (entry >>> 12 === gen) {
        prefix = entry & 0xfff;
        continue;
      }
      emit(prefix, width);
      table[key] = (gen << 12) | free;
      free++;
      prefix = c;
      if (free === TABLE_FULL) {
        emit(CLEAR, width);
        gen = nextGeneration();
        free = FIRST;
        width = 9;
        maxCode = 511;
      } else if (free > maxCode) {
        width++;
        maxCode = (1 << width) - 1;
      }
    }
    emit(prefix, width);
    // The decoder adds one more entry after the last code; the EOI must use the width it then expects.
    free++;
    if (free === TABLE_FULL) {
      emit(CLEAR, width);
      width = 9;
    } else if (free > maxCode) {
      width++;
    }
  }
  emit(EOI, width);
  if (bitCount > 0) emit(0, 8 - bitCount);
  return out.slice(0, length);
}
