/** Plain data that describes rasters; shared by the reader, the writer, the ops and the planner. */

export const DATA_TYPES = [
  "uint8",
  "int8",
  "uint16",
  "int16",
  "uint32",
  "int32",
  "float32",
  "float64",
] as const;
export type DataType = (typeof DATA_TYPES)[number];

export type TypedArray =
  Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

const CONSTRUCTORS = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

export function typedArrayFor(dataType: DataType, length: number): TypedArray {
  return new CONSTRUCTORS[dataType](length);
}

/** View `bytes` (little- or host-endian already) as the typed array of `dataType` without copying when aligned. */
export function viewAs(dataType: DataType, bytes: Uint8Array): TypedArray {
  const C = CONSTRUCTORS[dataType];
  if (bytes.byteOffset % C.BYTES_PER_ELEMENT === 0) {
    return new C(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength / C.BYTES_PER_ELEMENT);
  }
  const copy = bytes.slice();
  return new C(copy.buffer, 0, copy.byteLength / C.BYTES_PER_ELEMENT);
}

export function bytesPerSample(dataType: DataType): number {
  return CONSTRUCTORS[dataType].BYTES_PER_ELEMENT;
}

/** The range of each integer type (null for floats): for saturation and for checking a nodata value fits. */
export const INTEGER_RANGE: Readonly<Record<DataType, readonly [number, number] | null>> = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  uint32: [0, 4294967295],
  int32: [-2147483648, 2147483647],
  float32: null,
  float64: null,
};

export function isIntegerType(dataType: DataType): boolean {
  return dataType !== "float32" && dataType !== "float64";
}

/** GDAL's geotransform: x = gt[0] + col*gt[1] + row*gt[2]; y = gt[3] + col*gt[4] + row*gt[5] (pixel corners). */
export type GeoTransform = readonly [number, number, number, number, number, number];

/** A coordinate reference system: an EPSG code when the file names one, else WKT or nothing. */
export interface Crs {
  readonly epsg: number | null;
  readonly wkt: string | null;
}

export interface Window {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Pixels of a window, one typed array per band (band-sequential), row-major. */
export interface Block {
  readonly width: number;
  readonly height: number;
  readonly dataType: DataType;
  readonly bands: TypedArray[];
}

/** Copy the sub-window (x, y, width, height) of a block into a new block. */
export function cropBlock(block: Block, x: number, y: number, width: number, height: number): Block {
  if (x < 0 || y < 0 || x + width > block.width || y + height > block.height) {
    throw new RangeError(`crop ${width}x${height}+${x}+${y} outside a ${block.width}x${block.height} block`);
  }
  const bands = block.bands.map((src) => {
    const dst = typedArrayFor(block.dataType, width * height);
    for (let row = 0; row < height; row++) {
      const from = (y + row) * block.width + x;
      dst.set(src.subarray(from, from + width), row * width);
    }
    return dst;
  });
  return { width, height, dataType: block.dataType, bands };
}
