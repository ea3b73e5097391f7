import { Tag } from "./ifd-tags.ts";
import type { TagValue } from "./ifd.ts";
import { numbers } from "./ifd-image.ts";

/** A rational polynomial camera model, as GDAL stores it in TIFF tag 50844. */
export interface Rpc {
  readonly errBias: number;
  readonly errRand: number;
  readonly lineOff: number;
  readonly sampOff: number;
  readonly latOff: number;
  readonly longOff: number;
  readonly heightOff: number;
  readonly lineScale: number;
  readonly sampScale: number;
  readonly latScale: number;
  readonly longScale: number;
  readonly heightScale: number;
  readonly lineNumCoeff: readonly number[];
  readonly lineDenCoeff: readonly number[];
  readonly sampNumCoeff: readonly number[];
  readonly sampDenCoeff: readonly number[];
}

/** The 92 doubles of RPCCoefficientTag, in GDAL's order; null when absent or short. */
export function rpcOf(tags: ReadonlyMap<number, TagValue>): Rpc | null {
  const v = numbers(tags, Tag.RpcCoefficients);
  if (!v || v.length < 92) return null;
  return {
    errBias: v[0]!,
    errRand: v[1]!,
    lineOff: v[2]!,
    sampOff: v[3]!,
    latOff: v[4]!,
    longOff: v[5]!,
    heightOff: v[6]!,
    lineScale: v[7]!,
    sampScale: v[8]!,
    latScale: v[9]!,
    longScale: v[10]!,
    heightScale: v[11]!,
    lineNumCoeff: v.slice(12, 32),
    lineDenCoeff: v.slice(32, 52),
    sampNumCoeff: v.slice(52, 72),
    sampDenCoeff: v.slice(72, 92),
  };
}
