/** TIFF IFD encoding (ASCII values as UTF-8, as GDAL reads them) (classic and BigTIFF, little-endian): tag values inline when they fit, else after the IFD. */

export type TagType = "ASCII" | "SHORT" | "LONG" | "LONG8" | "DOUBLE";

const TYPE_CODE: Record<TagType, number> = { ASCII: 2, SHORT: 3, LONG: 4, DOUBLE: 12, LONG8: 16 };
const TYPE_SIZE: Record<TagType, number> = { ASCII: 1, SHORT: 2, LONG: 4, DOUBLE: 8, LONG8: 8 };

export type TiffTag =
  | { readonly tag: number; readonly type: "ASCII"; readonly values: string }
  | { readonly tag: number; readonly type: Exclude<TagType, "ASCII">; readonly values: ArrayLike<number> };

function valueCount(t: TiffTag): number {
  return t.type === "ASCII" ? Buffer.byteLength(t.values, "utf8") + 1 : t.values.length;
}

function valueBytes(t: TiffTag): number {
  return valueCount(t) * TYPE_SIZE[t.type];
}

const even = (n: number): number => n + (n & 1);

function entryGeometry(bigTiff: boolean): { head: number; entry: number; tail: number; inline: number } {
  return bigTiff ? { head: 8, entry: 20, tail: 8, inline: 8 } : { head: 2, entry: 12, tail: 4, inline: 4 };
}

/** Bytes taken by an IFD and its out-of-line values (each kept on an even offset). */
export function ifdSize(tags: readonly TiffTag[], bigTiff: boolean): number {
  const g = entryGeometry(bigTiff);
  let size = g.head + tags.length * g.entry + g.tail;
  for (const t of tags) {
    const n = valueBytes(t);
    if (n > g.inline) size += even(n);
  }
  return size;
}

function writeValues(view: DataView, at: number, t: TiffTag): void {
  if (t.type === "ASCII") {
    const text = Buffer.from(t.values, "utf8");
    new Uint8Array(view.buffer, view.byteOffset + at, text.length + 1).set([...text, 0]);
    return;
  }
  const size = TYPE_SIZE[t.type];
  for (let i = 0; i < t.values.length; i++) {
    const v = t.values[i]!;
    const p = at + i * size;
    if (t.type === "SHORT") view.setUint16(p, v, true);
    else if (t.type === "LONG") view.setUint32(p, v, true);
    else if (t.type === "LONG8") view.setBigUint64(p, BigInt(v), true);
    else view.setFloat64(p, v, true);
  }
}

/** Write the IFD at `offset` of `view` (tags sorted by number); `next` is the following IFD's offset or 0. */
export function writeIfd(
  view: DataView,
  offset: number,
  tags: readonly TiffTag[],
  next: number,
  bigTiff: boolean,
): void {
  const g = entryGeometry(bigTiff);
  const sorted = [...tags].sort((a, b) => a.tag - b.tag);
  const setOffset = (p: number, v: number): void =>
    bigTiff ? view.setBigUint64(p, BigInt(v), true) : view.setUint32(p, v, true);
  if (bigTiff) view.setBigUint64(offset, BigInt(sorted.length), true);
  else view.setUint16(offset, sorted.length, true);
  let extra = offset + g.head + sorted.length * g.entry + g.tail;
  sorted.forEach((t, i) => {
    const p = offset + g.head + i * g.entry;
    view.setUint16(p, t.tag, true);
    view.setUint16(p + 2, TYPE_CODE[t.type], true);
    setOffset(p + 4, valueCount(t));
    const valueAt = p + 4 + g.tail;
    const n = valueBytes(t);
    if (n <= g.inline) {
      writeValues(view, valueAt, t);
    } else {
      setOffset(valueAt, extra);
      writeValues(view, extra, t);
      extra += even(n);
    }
  });
  setOffset(offset + g.head + sorted.length * g.entry, next);
}
