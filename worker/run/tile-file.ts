/**
 * The scratch format of a raw tile: a 16-byte header (magic "ICT1", width, height, bands, data type) then
 * each band's samples, little-endian, band after band. Raw because scratch is read back at once by the
 * next task on the same disk; the header lets a reader refuse a tile that is not what it expects.
 */
import { endianness } from "node:os";
import { DATA_TYPES, bytesPerSample, viewAs, type Block } from "../io/raster.ts";

const MAGIC = 0x31544349; // "ICT1" read as a little-endian u32
const HEADER = 16;

if (endianness() !== "LE") throw new Error("imagechain scratch tiles need a little-endian host");

export function encodeTileFile(block: Block): Uint8Array {
  const bps = bytesPerSample(block.dataType);
  const bandBytes = block.width * block.height * bps;
  const out = new Uint8Array(HEADER + bandBytes * block.bands.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, block.width, true);
  view.setUint32(8, block.height, true);
  view.setUint16(12, block.bands.length, true);
  view.setUint8(14, DATA_TYPES.indexOf(block.dataType));
  block.bands.forEach((band, b) => {
    out.set(new Uint8Array(band.buffer, band.byteOffset, bandBytes), HEADER + b * bandBytes);
  });
  return out;
}

/** The block a tile file holds; `name` (the scratch key) is named in the error of a damaged file. */
export function decodeTileFile(bytes: Uint8Array, name: string): Block {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (why: string) => new Error(`scratch tile ${name}: ${why}`);
  if (bytes.length < HEADER || view.getUint32(0, true) !== MAGIC) throw bad("not an imagechain tile");
  const width = view.getUint32(4, true);
  const height = view.getUint32(8, true);
  const count = view.getUint16(12, true);
  const dataType = DATA_TYPES[view.getUint8(14)];
  if (dataType === undefined) throw bad("unknown data type");
  const bandBytes = width * height * bytesPerSample(dataType);
  if (bytes.length !== HEADER + bandBytes * count)
    throw bad(`${bytes.length} bytes, expected ${HEADER + bandBytes * count}`);
  const bands = Array.from({ length: count }, (_, b) =>
    viewAs(dataType, bytes.subarray(HEADER + b * bandBytes, HEADER + (b + 1) * bandBytes)),
  );
  return { width, height, dataType, bands };
}
