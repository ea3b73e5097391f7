import { IoError } from "../errors.ts";
import type { ByteRange, ByteSource } from "../source/byte-source.ts";

/** A tag's values: numbers for numeric types, a string for ASCII. */
export type TagValue = readonly number[] | string;

export interface TiffHeader {
  readonly littleEndian: boolean;
  readonly bigTiff: boolean;
  readonly firstIfdOffset: number;
}

export interface Ifd {
  /** Where the IFD starts in the file (the COG check needs it). */
  readonly offset: number;
  readonly tags: ReadonlyMap<number, TagValue>;
}

interface FieldType {
  readonly size: number;
  read(view: DataView, at: number, littleEndian: boolean): number;
}

/** TIFF 6 and BigTIFF field types by code: bytes per value and how to read one (ASCII is decoded apart). */
const FIELD_TYPES: Readonly<Record<number, FieldType>> = {
  1: { size: 1, read: (v, p) => v.getUint8(p) }, // BYTE
  2: { size: 1, read: (v, p) => v.getUint8(p) }, // ASCII
  3: { size: 2, read: (v, p, le) => v.getUint16(p, le) }, // SHORT
  4: { size: 4, read: (v, p, le) => v.getUint32(p, le) }, // LONG
  5: { size: 8, read: (v, p, le) => v.getUint32(p, le) / v.getUint32(p + 4, le) }, // RATIONAL
  6: { size: 1, read: (v, p) => v.getInt8(p) }, // SBYTE
  7: { size: 1, read: (v, p) => v.getUint8(p) }, // UNDEFINED
  8: { size: 2, read: (v, p, le) => v.getInt16(p, le) }, // SSHORT
  9: { size: 4, read: (v, p, le) => v.getInt32(p, le) }, // SLONG
  10: { size: 8, read: (v, p, le) => v.getInt32(p, le) / v.getInt32(p + 4, le) }, // SRATIONAL
  11: { size: 4, read: (v, p, le) => v.getFloat32(p, le) }, // FLOAT
  12: { size: 8, read: (v, p, le) => v.getFloat64(p, le) }, // DOUBLE
  13: { size: 4, read: (v, p, le) => v.getUint32(p, le) }, // IFD
  16: { size: 8, read: (v, p, le) => Number(v.getBigUint64(p, le)) }, // LONG8
  17: { size: 8, read: (v, p, le) => Number(v.getBigInt64(p, le)) }, // SLONG8
  18: { size: 8, read: (v, p, le) => Number(v.getBigUint64(p, le)) }, // IFD8
};
const ASCII = 2;

const MAX_IFDS = 1000;

export async function readHeader(src: ByteSource, signal?: AbortSignal): Promise<TiffHeader> {
  const size = await src.size(signal);
  if (size < 8) throw new IoError("not-tiff", src.uri, `only ${size} bytes: not a TIFF`);
  const [head] = await src.read([{ offset: 0, length: Math.min(16, size) }], signal);
  const view = new DataView(head!.buffer, head!.byteOffset, head!.byteLength);
  const order = view.getUint16(0);
  if (order !== 0x4949 && order !== 0x4d4d)
    throw new IoError("not-tiff", src.uri, "not a TIFF (bad byte-order mark)");
  const littleEndian = order === 0x4949;
  const magic = view.getUint16(2, littleEndian);
  if (magic === 42) return { littleEndian, bigTiff: false, firstIfdOffset: view.getUint32(4, littleEndian) };
  if (magic === 43 && head!.byteLength >= 16 && view.getUint16(4, littleEndian) === 8) {
    return { littleEndian, bigTiff: true, firstIfdOffset: Number(view.getBigUint64(8, littleEndian)) };
  }
  throw new IoError("not-tiff", src.uri, `not a TIFF (magic number ${magic})`);
}

/** Every IFD of the main chain, in file order of the chain (full resolution first for GDAL files). */
export async function readIfds(src: ByteSource, header: TiffHeader, signal?: AbortSignal): Promise<Ifd[]> {
  const ifds: Ifd[] = [];
  const seen = new Set<number>();
  let offset = header.firstIfdOffset;
  while (offset !== 0) {
    if (seen.has(offset) || ifds.length >= MAX_IFDS) {
      throw new IoError("corrupt", src.uri, `IFD chain loops at offset ${offset}`);
    }
    seen.add(offset);
    const { ifd, next } = await readIfd(src, header, offset, signal);
    ifds.push(ifd);
    offset = next;
  }
  if (ifds.length === 0)
    throw new IoError("corrupt", src.uri, "the TIFF has no image (first IFD offset is 0)");
  return ifds;
}

async function readIfd(
  src: ByteSource,
  { littleEndian, bigTiff }: TiffHeader,
  offset: number,
  signal?: AbortSignal,
): Promise<{ ifd: Ifd; next: number }> {
  const countSize = bigTiff ? 8 : 2;
  const entrySize = bigTiff ? 20 : 12;
  const [countBytes] = await src.read([{ offset, length: countSize }], signal);
  const countView = dataView(countBytes!);
  const count = bigTiff
    ? Number(countView.getBigUint64(0, littleEndian))
    : countView.getUint16(0, littleEndian);
  const [body] = await src.read(
    [{ offset: offset + countSize, length: count * entrySize + (bigTiff ? 8 : 4) }],
    signal,
  );
  const view = dataView(body!);
  const uint = (at: number) =>
    bigTiff ? Number(view.getBigUint64(at, littleEndian)) : view.getUint32(at, littleEndian);

  const inline: { tag: number; type: number; count: number; view: DataView; at: number }[] = [];
  const remote: { tag: number; type: number; count: number; range: ByteRange }[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * entrySize;
    const tag = view.getUint16(at, littleEndian);
    const type = view.getUint16(at + 2, littleEndian);
    const n = bigTiff
      ? Number(view.getBigUint64(at + 4, littleEndian))
      : view.getUint32(at + 4, littleEndian);
    const size = FIELD_TYPES[type]?.size;
    if (size === undefined) continue; // unknown field types are skipped, as libtiff does
    const valueAt = at + (bigTiff ? 12 : 8);
    if (size * n <= (bigTiff ? 8 : 4)) inline.push({ tag, type, count: n, view, at: valueAt });
    else remote.push({ tag, type, count: n, range: { offset: uint(valueAt), length: size * n } });
  }
  const remoteBytes = await src.read(
    remote.map((r) => r.range),
    signal,
  );
  const tags = new Map<number, TagValue>();
  for (const e of inline) tags.set(e.tag, decodeValues(e.view, e.at, e.type, e.count, littleEndian));
  remote.forEach((e, i) =>
    tags.set(e.tag, decodeValues(dataView(remoteBytes[i]!), 0, e.type, e.count, littleEndian)),
  );
  return { ifd: { offset, tags }, next: uint(count * entrySize) };
}

function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function decodeValues(view: DataView, at: number, type: number, count: number, le: boolean): TagValue {
  if (type === ASCII) {
    const bytes = new Uint8Array(view.buffer, view.byteOffset + at, count);
    const end = bytes.indexOf(0);
    return new TextDecoder("latin1").decode(end < 0 ? bytes : bytes.subarray(0, end));
  }
  const { size, read } = FIELD_TYPES[type]!;
  const out = new Array<number>(count);
  for (let i = 0, p = at; i < count; i++, p += size) out[i] = read(view, p, le);
  return out;
}
