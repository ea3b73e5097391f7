import { IoError } from "../errors.ts";
import { type TypedArray, viewAs } from "../raster.ts";
import { swapBytes } from "./codecs/byte-swap.ts";
import type { Codec } from "./codecs/codec.ts";
import { undoFloatingPoint, undoHorizontal } from "./codecs/predictor.ts";
import { CODECS } from "./codecs/registry.ts";
import { compressionName } from "./ifd-tags.ts";
import type { TiffImage } from "./ifd-image.ts";

export function codecOf(image: TiffImage, uri: string): Codec {
  const codec = CODECS.get(image.compression);
  if (!codec) {
    throw new IoError(
      "unsupported",
      uri,
      `compression ${compressionName(image.compression)} (${image.compression}) is not supported; ` +
        `supported: none, deflate, lzw, packbits`,
    );
  }
  return codec;
}

/** Rows actually stored in block `index` (the last strip of a striped image may be short; tiles are padded). */
export function blockRows(image: TiffImage, index: number): number {
  if (image.tiled) return image.blockHeight;
  const row = index % image.blocksDown;
  return Math.min(image.blockHeight, image.height - row * image.blockHeight);
}

/**
 * Decode one block into host-order samples: decompress, fix byte order, undo the predictor.
 * The result holds blockWidth × rows samples per stored band (× samplesPerPixel when interleaved).
 */
export async function decodeBlock(
  image: TiffImage,
  codec: Codec,
  raw: Uint8Array,
  index: number,
  littleEndian: boolean,
  uri: string,
): Promise<TypedArray> {
  const rows = blockRows(image, index);
  const spp = image.planar === 1 ? image.samplesPerPixel : 1;
  const rowSamples = image.blockWidth * spp;
  const expected = rowSamples * rows * image.bytesPerSample;
  let bytes: Uint8Array;
  try {
    bytes = await codec.decode(raw, expected);
  } catch (e) {
    throw new IoError(
      "corrupt",
      uri,
      `block ${index} does not decode as ${codec.name}: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  if (bytes.byteLength < expected) {
    throw new IoError(
      "corrupt",
      uri,
      `block ${index} decodes to ${bytes.byteLength} bytes, expected ${expected}`,
    );
  }
  // Decoders may hand back their input (no compression) or a shared buffer: own the bytes we modify.
  const own = codec.name === "none" || bytes.byteOffset % image.bytesPerSample !== 0;
  bytes = own ? bytes.slice(0, expected) : bytes.subarray(0, expected);
  const size = image.bytesPerSample;
  if (image.predictor === 3) {
    // The byte planes come out in the file's byte order (checked against GDAL with ENDIANNESS=BIG).
    undoFloatingPoint(bytes, rowSamples, rows, spp, size);
    if (!littleEndian) swapBytes(bytes, size);
    return viewAs(image.dataType, bytes);
  }
  if (!littleEndian && size > 1) swapBytes(bytes, size);
  if (image.predictor === 2) {
    const unsigned =
      size === 8 ? null : viewAs(size === 1 ? "uint8" : size === 2 ? "uint16" : "uint32", bytes);
    if (unsigned) undoHorizontal(unsigned, rowSamples, rows, spp);
    else
      undoHorizontal64(
        new BigUint64Array(bytes.buffer, bytes.byteOffset, rowSamples * rows),
        rowSamples,
        rows,
        spp,
      );
  }
  return viewAs(image.dataType, bytes);
}

function undoHorizontal64(samples: BigUint64Array, rowSamples: number, rows: number, stride: number): void {
  for (let r = 0; r < rows; r++) {
    const start = r * rowSamples;
    for (let i = start + stride; i < start + rowSamples; i++) samples[i] = samples[i]! + samples[i - stride]!;
  }
}
