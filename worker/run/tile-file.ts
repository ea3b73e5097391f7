/**
 * The scratch format of a raw tile: a 16-byte header (magic "ICT1", width, height, bands, data type) then
 * each band's samples, little-endian, band after band, rows in order. Raw because scratch is read back at
 * once by the next task on the same disk, and because a band's rows are then one byte range: a halo read
 * takes the few rows it needs of a neighbour, not the whole tile. The header lets a reader refuse a tile
 * that is not what it expects.
 */
import { endianness } from "node:os";
import { DATA_TYPES, bytesPerSample, type Block, type Window } from "../io/raster.ts";
import type { ArrayPool } from "./array-pool.ts";
import type { ScratchFile } from "./scratch.ts";

const MAGIC = 0x31544349; // "ICT1" read as a little-endian u32
const HEADER = 16;

if (endianness() !== "LE") throw new Error("imagechain scratch tiles need a little-endian host");

/** The file's bytes as chunks (header, then each band's bytes as they are): written without a copy. */
export function tileFileChunks(block: Block): Uint8Array[] {
  const header = new Uint8Array(HEADER);
  const view = new DataView(header.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, block.width, true);
  view.setUint32(8, block.height, true);
  view.setUint16(12, block.bands.length, true);
  view.setUint8(14, DATA_TYPES.indexOf(block.dataType));
  const bandBytes = block.width * block.height * bytesPerSample(block.dataType);
  return [header, ...block.bands.map((b) => new Uint8Array(b.buffer, b.byteOffset, bandBytes))];
}

export function tileFileBytes(block: Block): number {
  return HEADER + block.width * block.height * bytesPerSample(block.dataType) * block.bands.length;
}

/**
 * Copy `part` (a window in the tile's own pixels) of every band of a tile file into `dst` at (dstX, dstY).
 * The header must say what the caller expects (`name`, the scratch key, is named otherwise).
 */
export async function readTilePart(
  file: ScratchFile,
  name: string,
  expected: { width: number; height: number },
  part: Window,
  dst: Block,
  dstX: number,
  dstY: number,
  pool: ArrayPool,
): Promise<void> {
  const header = new Uint8Array(HEADER);
  await file.read(header, 0);
  const view = new DataView(header.buffer);
  const width = view.getUint32(4, true);
  const height = view.getUint32(8, true);
  const bands = view.getUint16(12, true);
  const dataType = DATA_TYPES[view.getUint8(14)];
  if (view.getUint32(0, true) !== MAGIC) throw new Error(`scratch tile ${name}: not an imagechain tile`);
  if (
    width !== expected.width ||
    height !== expected.height ||
    bands !== dst.bands.length ||
    dataType !== dst.dataType
  ) {
    throw new Error(
      `scratch tile ${name}: ${bands} ${dataType} band(s) of ${width}x${height}, expected ` +
        `${dst.bands.length} ${dst.dataType} of ${expected.width}x${expected.height}`,
    );
  }
  const bps = bytesPerSample(dataType);
  const rowBytes = width * bps;
  const whole = part.x === 0 && part.width === width && dstX === 0 && dst.width === width;
  const staging = whole ? null : pool.bytes(part.height * rowBytes);
  try {
    for (let b = 0; b < bands; b++) {
      const at = HEADER + b * height * rowBytes + part.y * rowBytes;
      const out = dst.bands[b]!;
      const outBytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
      if (staging === null) {
        const from = dstY * dst.width * bps;
        await file.read(outBytes.subarray(from, from + part.height * rowBytes), at);
        continue;
      }
      await file.read(staging, at);
      for (let y = 0; y < part.height; y++) {
        const src = y * rowBytes + part.x * bps;
        const to = ((dstY + y) * dst.width + dstX) * bps;
        outBytes.set(staging.subarray(src, src + part.width * bps), to);
      }
    }
  } finally {
    if (staging) pool.give([staging]);
  }
}
