/** Builders for COG writer tests: deterministic pixels per data type, tile cutting and an in-memory sink. */
import type { Block, DataType, TypedArray } from "../../worker/io/raster.ts";
import { typedArrayFor } from "../../worker/io/raster.ts";
import type { ByteSink } from "../../worker/io/sink/byte-sink.ts";
import type { CogWriter } from "../../worker/io/tiff/cog-writer.ts";

/** A value for pixel (x, y) of band b that exercises the type's range (negatives, fractions, large magnitudes). */
export function pixelValue(dataType: DataType, x: number, y: number, b: number): number {
  const smooth = ((x * 3 + y * 5 + b * 17) % 97) + ((x * y) % 7);
  switch (dataType) {
    case "uint8":
      return smooth % 256;
    case "int8":
      return (smooth % 200) - 100;
    case "uint16":
      return (smooth * 613) % 65536;
    case "int16":
      return ((smooth * 613) % 65536) - 32768;
    case "uint32":
      return (smooth * 44_000_017) % 4_294_967_296;
    case "int32":
      return ((smooth * 44_000_017) % 4_294_967_296) - 2_147_483_648;
    case "float32":
      return Math.fround(smooth * 0.37 - 11.5);
    case "float64":
      return smooth * 0.1234567891011 - 1e6;
  }
}

/** Whole image, band-sequential. */
export function makeImage(dataType: DataType, width: number, height: number, bands: number): TypedArray[] {
  return Array.from({ length: bands }, (_, b) => {
    const a = typedArrayFor(dataType, width * height);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) a[y * width + x] = pixelValue(dataType, x, y, b);
    return a;
  });
}

export function tileOf(
  image: TypedArray[],
  dataType: DataType,
  width: number,
  height: number,
  tileSize: number,
  tx: number,
  ty: number,
): Block {
  const x0 = tx * tileSize;
  const y0 = ty * tileSize;
  const w = Math.min(tileSize, width - x0);
  const h = Math.min(tileSize, height - y0);
  const bands = image.map((src) => {
    const dst = typedArrayFor(dataType, w * h);
    for (let y = 0; y < h; y++)
      dst.set(src.subarray((y0 + y) * width + x0, (y0 + y) * width + x0 + w), y * w);
    return dst;
  });
  return { width: w, height: h, dataType, bands };
}

export function tileCoords(width: number, height: number, tileSize: number): [number, number][] {
  const out: [number, number][] = [];
  for (let ty = 0; ty * tileSize < height; ty++)
    for (let tx = 0; tx * tileSize < width; tx++) out.push([tx, ty]);
  return out;
}

export async function addAll(
  writer: CogWriter,
  image: TypedArray[],
  dataType: DataType,
  width: number,
  height: number,
  tileSize: number,
  order: readonly [number, number][] = tileCoords(width, height, tileSize),
): Promise<void> {
  for (const [tx, ty] of order)
    await writer.addTile(tx, ty, tileOf(image, dataType, width, height, tileSize, tx, ty));
}

export interface MemorySink extends ByteSink {
  bytes(): Uint8Array<ArrayBuffer>;
  readonly state: { closed: boolean; aborted: boolean };
}

export function memorySink(): MemorySink {
  const chunks: Uint8Array[] = [];
  const state = { closed: false, aborted: false };
  return {
    state,
    async write(chunk) {
      chunks.push(chunk.slice());
    },
    async close() {
      state.closed = true;
    },
    async abort() {
      state.aborted = true;
    },
    bytes: () => new Uint8Array(Buffer.concat(chunks)),
  };
}

export function bytesOf(a: TypedArray): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}
