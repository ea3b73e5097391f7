import { typedArrayFor, type DataType, type TypedArray } from "../../io/raster.ts";

const INTEGER_RANGE: Readonly<Record<DataType, readonly [number, number] | null>> = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  uint32: [0, 4294967295],
  int32: [-2147483648, 2147483647],
  float32: null,
  float64: null,
};

/** Whether `value` survives being stored as `dataType` (integers: whole and in range; NaN only in floats). */
export function storable(dataType: DataType, value: number): boolean {
  const range = INTEGER_RANGE[dataType];
  if (range === null) return true;
  return Number.isInteger(value) && value >= range[0] && value <= range[1];
}

/**
 * The sample value that marks nodata in a band of `dataType`, as it reads once widened to float64
 * (a float32 band's -3.4e38 is the float32 nearest). NaN means "NaN samples"; null: no sample can match.
 */
export function nodataSample(dataType: DataType, nodata: number | null): number | null {
  if (nodata === null || !storable(dataType, nodata)) return null;
  return dataType === "float32" ? Math.fround(nodata) : nodata;
}

/**
 * Store float64 results as `dataType`. Integers are rounded half away from zero and saturated to the
 * type's range, NaN becomes `nodata` (0 without one); floats are stored as they are (float32 rounds to
 * nearest). Pixels flagged in `flags` get `nodata` (NaN in floats, 0 in integers, without one).
 */
export function storeSamples(
  values: Float64Array,
  flags: Uint8Array | null,
  dataType: DataType,
  nodata: number | null,
): TypedArray {
  const out = typedArrayFor(dataType, values.length);
  const range = INTEGER_RANGE[dataType];
  if (range === null) {
    out.set(values);
    const fill = nodata ?? NaN;
    if (flags !== null) for (let i = 0; i < flags.length; i++) if (flags[i] !== 0) out[i] = fill;
    return out;
  }
  const [lo, hi] = range;
  const fill = nodata ?? 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v !== v || (flags !== null && flags[i] !== 0)) out[i] = fill;
    else {
      const r = v < 0 ? -Math.round(-v) : Math.round(v);
      out[i] = r < lo ? lo : r > hi ? hi : r;
    }
  }
  return out;
}
