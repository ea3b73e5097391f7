import { INTEGER_RANGE, typedArrayFor, type DataType, type TypedArray } from "../../io/raster.ts";

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
  allocate: (dataType: DataType, length: number) => TypedArray = typedArrayFor,
): TypedArray {
  const out = allocate(dataType, values.length);
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
