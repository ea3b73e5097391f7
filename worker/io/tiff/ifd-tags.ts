/** TIFF / GeoTIFF / GDAL tag numbers that the reader interprets and the COG writer emits. */
export const Tag = {
  NewSubfileType: 254,
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  Photometric: 262,
  StripOffsets: 273,
  SamplesPerPixel: 277,
  RowsPerStrip: 278,
  StripByteCounts: 279,
  PlanarConfiguration: 284,
  Predictor: 317,
  TileWidth: 322,
  TileLength: 323,
  TileOffsets: 324,
  TileByteCounts: 325,
  ExtraSamples: 338,
  SampleFormat: 339,
  ModelPixelScale: 33550,
  ModelTiepoint: 33922,
  ModelTransformation: 34264,
  GeoKeyDirectory: 34735,
  GeoDoubleParams: 34736,
  GeoAsciiParams: 34737,
  GdalMetadata: 42112,
  GdalNodata: 42113,
  RpcCoefficients: 50844,
} as const;

/** Compression codes, named as `imagechain info` shows them. */
export const COMPRESSION_NAMES: Readonly<Record<number, string>> = {
  1: "none",
  5: "lzw",
  6: "jpeg-old",
  7: "jpeg",
  8: "deflate",
  32773: "packbits",
  32946: "deflate",
  34712: "jpeg2000",
  34887: "lerc",
  34925: "lzma",
  50000: "zstd",
  50001: "webp",
  50002: "jpegxl",
};

export function compressionName(code: number): string {
  return COMPRESSION_NAMES[code] ?? `tiff-compression-${code}`;
}
