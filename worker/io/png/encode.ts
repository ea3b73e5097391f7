/**
 * A PNG encoder for 8-bit greyscale, greyscale + alpha, RGB and RGBA images (ISO/IEC 15948, W3C PNG 2nd ed.):
 * adaptive row filters, zlib's deflate, optional tEXt chunks. The bytes depend only on the image, the
 * options and the zlib build, so the same quicklook is the same file.
 */
import { crc32, constants, deflateSync } from "node:zlib";
import { filterRows } from "./filter.ts";

/** Samples per pixel: 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA. */
export type PngChannels = 1 | 2 | 3 | 4;

export interface PngImage {
  readonly width: number;
  readonly height: number;
  readonly channels: PngChannels;
  /** Row-major, pixel-interleaved, width × height × channels bytes. */
  readonly pixels: Uint8Array;
}

export interface PngOptions {
  /** tEXt chunks, in this order; keywords are 1–79 Latin-1 characters, values Latin-1 text. */
  readonly text?: Readonly<Record<string, string>>;
  /** zlib level 0–9 (default 6). */
  readonly level?: number;
  /**
   * "adaptive" (default): per row, the filter with the smallest sum of absolute differences, which suits
   * continuous tones. "none" suits colour-mapped pixels: they are table lookups, so neighbours' byte
   * differences are not small and filtering makes them compress worse (the spec says as much for palettes).
   */
  readonly filter?: "adaptive" | "none";
}

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
const COLOR_TYPE: Record<PngChannels, number> = { 1: 0, 2: 4, 3: 2, 4: 6 };
/** Decoders buffer one chunk at a time; 1 MiB keeps that small without measurable overhead. */
const IDAT_BYTES = 1 << 20;
const MAX_DIMENSION = 2 ** 31 - 1;

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(Buffer.from(type, "latin1"), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

function header(image: PngImage): Uint8Array {
  const data = new Uint8Array(13);
  const view = new DataView(data.buffer);
  view.setUint32(0, image.width);
  view.setUint32(4, image.height);
  data[8] = 8; // bit depth
  data[9] = COLOR_TYPE[image.channels];
  // data[10..12]: deflate compression, adaptive filtering, no interlace (all 0)
  return chunk("IHDR", data);
}

function textChunk(keyword: string, value: string): Uint8Array {
  // Keywords: printable Latin-1, no leading, trailing or double spaces; text: Latin-1 without NUL.
  if (!/^[\x21-\x7e\xa1-\xff](?:[\x21-\x7e\xa1-\xff]| (?! ))*(?<! )$/.test(keyword) || keyword.length > 79) {
    throw new RangeError(`PNG tEXt keyword '${keyword}' must be 1-79 printable Latin-1 characters`);
  }
  if ([...value].some((ch) => ch === "\0" || ch.codePointAt(0)! > 255)) {
    throw new RangeError(`PNG tEXt '${keyword}' must be Latin-1 text without NUL`);
  }
  return chunk("tEXt", Buffer.from(`${keyword}\0${value}`, "latin1"));
}

/** Rows behind filter type 0 (None). */
function unfiltered({ width, height, channels, pixels }: PngImage): Uint8Array {
  const stride = width * channels;
  const out = new Uint8Array(height * (stride + 1));
  for (let y = 0; y < height; y++)
    out.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  return out;
}

/** Encode an image as PNG bytes. */
export function encodePng(image: PngImage, opts: PngOptions = {}): Uint8Array {
  const { width, height, channels, pixels } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`PNG size must be positive integers, not ${width}x${height}`);
  }
  if (width > MAX_DIMENSION || height > MAX_DIMENSION)
    throw new RangeError(`PNG too large: ${width}x${height}`);
  if (!(channels in COLOR_TYPE)) throw new RangeError(`PNG channels must be 1..4, not ${channels}`);
  if (pixels.length !== width * height * channels) {
    throw new RangeError(
      `${width}x${height}x${channels} PNG needs ${width * height * channels} bytes, got ${pixels.length}`,
    );
  }
  const adaptive = (opts.filter ?? "adaptive") === "adaptive";
  const zlib = deflateSync(adaptive ? filterRows(pixels, width, height, channels) : unfiltered(image), {
    level: opts.level ?? 6,
    // What libpng uses for filtered rows: fewer string matches, more Huffman coding of small residuals.
    strategy: adaptive ? constants.Z_FILTERED : constants.Z_DEFAULT_STRATEGY,
  });
  const parts = [SIGNATURE, header(image)];
  for (const [keyword, value] of Object.entries(opts.text ?? {})) parts.push(textChunk(keyword, value));
  for (let at = 0; at < zlib.length; at += IDAT_BYTES) {
    parts.push(chunk("IDAT", zlib.subarray(at, at + IDAT_BYTES)));
  }
  parts.push(chunk("IEND", new Uint8Array(0)));
  return Buffer.concat(parts);
}
