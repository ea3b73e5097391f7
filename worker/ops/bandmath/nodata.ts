import { INTEGER_RANGE, isIntegerType, type DataType } from "../../io/raster.ts";
import type { Grid } from "../grid.ts";

/** gdal_calc.py's DefaultNDVLookup (int8, which it lacks, gets its minimum like the other signed types). */
const GDAL_CALC_NODATA: Readonly<Record<DataType, number>> = {
  uint8: 255,
  int8: -128,
  uint16: 65535,
  int16: -32768,
  uint32: 4294967295,
  int32: -2147483648,
  float32: 3.402823466e38,
  float64: Number.MAX_VALUE, // 1.7976931348623158e308
};

/**
 * The output nodata of a band-math step: the one asked for; else, when any input declares nodata,
 * gdal_calc.py's default for the output type (so masked pixels have a value that says so); else none.
 */
export function outputNodata(
  dataType: DataType,
  asked: number | undefined,
  inputs: Iterable<Pick<Grid, "nodata">>,
): number | null {
  if (asked !== undefined) return asked;
  for (const g of inputs) if (g.nodata !== null) return GDAL_CALC_NODATA[dataType];
  return null;
}

/** Whether `value` survives being stored in an array of `dataType` (integers: whole and in range). */
export function storable(dataType: DataType, value: number): boolean {
  const range = INTEGER_RANGE[dataType];
  if (range === null) return true;
  return Number.isInteger(value) && value >= range[0] && value <= range[1];
}

/**
 * The sample that marks nodata in an array of `dataType`, as GDAL compares it: in the band's own type
 * (a float32 band's nodata 3.402823466e38 is the float32 maximum). `NaN` means "samples that are NaN";
 * null means no sample can match (no nodata, or a value the type cannot hold).
 */
export function nodataSample(dataType: DataType, nodata: number | null): number | null {
  if (nodata === null) return null;
  if (Number.isNaN(nodata)) return isIntegerType(dataType) ? null : NaN;
  if (!storable(dataType, nodata)) return null;
  return dataType === "float32" ? Math.fround(nodata) : nodata;
}
