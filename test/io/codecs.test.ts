import { deflateSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import { swapBytes } from "../../worker/io/tiff/codecs/byte-swap.ts";
import { undoFloatingPoint, undoHorizontal } from "../../worker/io/tiff/codecs/predictor.ts";
import { CODECS } from "../../worker/io/tiff/codecs/registry.ts";

const hex = (s: string) => Uint8Array.from(s.split(" "), (h) => parseInt(h, 16));

describe("codecs", () => {
  test("the registry names exactly the supported TIFF compressions", () => {
    expect([...CODECS.entries()].map(([code, c]) => [code, c.name])).toEqual([
      [1, "none"],
      [5, "lzw"],
      [8, "deflate"],
      [32946, "deflate"],
      [32773, "packbits"],
    ]);
  });

  test("PackBits: the example of the TIFF 6.0 specification", async () => {
    const input = hex("FE AA 02 80 00 2A FD AA 03 80 00 2A 22 F7 AA");
    const want = hex("AA AA AA 80 00 2A AA AA AA AA 80 00 2A 22 AA AA AA AA AA AA AA AA AA AA");
    expect(await CODECS.get(32773)!.decode(input, want.length)).toEqual(want);
  });

  test("LZW: codes that reference the entry being defined (KwKwK) and width changes", async () => {
    // 'a' repeated: the classic case where each code refers to the entry it creates.
    const want = new Uint8Array(3000).fill(97);
    const encoded = lzwEncode(want);
    expect(await CODECS.get(5)!.decode(encoded, want.length)).toEqual(want);
    const mixed = Uint8Array.from({ length: 20000 }, (_, i) => (i * 31 + (i >> 5)) & 255);
    expect(await CODECS.get(5)!.decode(lzwEncode(mixed), mixed.length)).toEqual(mixed);
  });

  test("Deflate: zlib streams, and a broken stream rejects", async () => {
    const data = Uint8Array.from({ length: 100_000 }, (_, i) => (i >> 4) & 255);
    expect(await CODECS.get(8)!.decode(deflateSync(data), data.length)).toEqual(data);
    await expect(CODECS.get(32946)!.decode(hex("78 9C 00 01 02 03"), 10)).rejects.toThrow();
  });
});

describe("predictors and byte order", () => {
  test("horizontal: accumulates per row with the pixel stride, wrapping like unsigned ints", () => {
    const a = Uint16Array.from([10, 20, 5, 5, 65535, 2, /* row 2 */ 1, 1, 1, 1, 1, 1]);
    undoHorizontal(a, 6, 2, 2);
    expect(Array.from(a)).toEqual([10, 20, 15, 25, 14, 27, 1, 1, 2, 2, 3, 3]);
  });

  test("floating point: byte planes (most significant first) back to little-endian floats", () => {
    const values = Float32Array.from([1.5, -2.25, 1e-3, 65504]);
    const le = new Uint8Array(values.buffer);
    // Encode like libtiff's fpDiff: planes MSB first, then byte differences.
    const n = values.length;
    const planes = new Uint8Array(n * 4);
    for (let s = 0; s < n; s++) for (let b = 0; b < 4; b++) planes[b * n + s] = le[s * 4 + (3 - b)]!;
    for (let i = planes.length - 1; i > 0; i--) planes[i] = (planes[i]! - planes[i - 1]!) & 255;
    undoFloatingPoint(planes, n, 1, 1, 4);
    expect(Array.from(new Float32Array(planes.buffer))).toEqual(Array.from(values));
  });

  test("byte swap of 2, 4 and 8-byte samples", () => {
    const b = hex("01 02 03 04 05 06 07 08");
    swapBytes(b, 2);
    expect(b).toEqual(hex("02 01 04 03 06 05 08 07"));
    swapBytes(b, 2);
    swapBytes(b, 4);
    expect(b).toEqual(hex("04 03 02 01 08 07 06 05"));
    swapBytes(b, 4);
    swapBytes(b, 8);
    expect(b).toEqual(hex("08 07 06 05 04 03 02 01"));
  });
});

/** A minimal TIFF LZW encoder (MSB-first, early change), only to feed the decoder. */
function lzwEncode(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  let width = 9;
  const emit = (code: number) => {
    acc = (acc << width) | code;
    bits += width;
    while (bits >= 8) {
      out.push((acc >>> (bits - 8)) & 255);
      bits -= 8;
    }
    acc &= (1 << bits) - 1;
  };
  let table = new Map<string, number>();
  let next = 258;
  emit(256);
  let w = String.fromCharCode(data[0]!);
  for (let i = 1; i < data.length; i++) {
    const c = String.fromCharCode(data[i]!);
    if (table.has(w + c) || (w + c).length === 1) {
      w += c;
      continue;
    }
    emit(w.length === 1 ? w.charCodeAt(0) : table.get(w)!);
    table.set(w + c, next++);
    if (next >= 1 << width && width < 12) width++; // the decoder, one entry behind, switches "early"
    if (next >= 4093) {
      emit(256);
      table = new Map();
      next = 258;
      width = 9;
    }
    w = c;
  }
  emit(w.length === 1 ? w.charCodeAt(0) : table.get(w)!);
  emit(257);
  if (bits > 0) out.push((acc << (8 - bits)) & 255);
  return Uint8Array.from(out);
}
