/**
 * RPC models from the sidecar files GDAL reads next to an image: `<base>_RPC.TXT` (GeoEye / Pleiades
 * style "KEY: value" lines) and `<base>.RPB` (DigitalGlobe "key = value;" groups).
 */
import { IoError, isIoError } from "./errors.ts";
import { rawSource, type OpenSourceOptions } from "./source/open-source.ts";
import type { Rpc } from "./tiff/rpc.ts";

const SCALARS = [
  ["errBias", "ERR_BIAS", "errBias"],
  ["errRand", "ERR_RAND", "errRand"],
  ["lineOff", "LINE_OFF", "lineOffset"],
  ["sampOff", "SAMP_OFF", "sampOffset"],
  ["latOff", "LAT_OFF", "latOffset"],
  ["longOff", "LONG_OFF", "longOffset"],
  ["heightOff", "HEIGHT_OFF", "heightOffset"],
  ["lineScale", "LINE_SCALE", "lineScale"],
  ["sampScale", "SAMP_SCALE", "sampScale"],
  ["latScale", "LAT_SCALE", "latScale"],
  ["longScale", "LONG_SCALE", "longScale"],
  ["heightScale", "HEIGHT_SCALE", "heightScale"],
] as const;
const VECTORS = [
  ["lineNumCoeff", "LINE_NUM_COEFF", "lineNumCoef"],
  ["lineDenCoeff", "LINE_DEN_COEFF", "lineDenCoef"],
  ["sampNumCoeff", "SAMP_NUM_COEFF", "sampNumCoef"],
  ["sampDenCoeff", "SAMP_DEN_COEFF", "sampDenCoef"],
] as const;
/** Fields a file may leave out: the error estimates. */
const OPTIONAL = new Set(["errBias", "errRand"]);

function build(uri: string, scalar: (i: number) => number | undefined, vector: (i: number) => number[]): Rpc {
  const rpc: Record<string, number | number[]> = {};
  SCALARS.forEach(([field, txt], i) => {
    const v = scalar(i);
    if (v === undefined && !OPTIONAL.has(field)) throw new IoError("corrupt", uri, `RPC sidecar: no ${txt}`);
    rpc[field] = v ?? -1;
  });
  VECTORS.forEach(([field, txt], i) => {
    const v = vector(i);
    if (v.length !== 20 || v.some((x) => !Number.isFinite(x))) {
      throw new IoError("corrupt", uri, `RPC sidecar: ${txt} needs 20 numbers, got ${v.length}`);
    }
    rpc[field] = v;
  });
  return rpc as unknown as Rpc;
}

/** `KEY: value [unit]` lines; coefficients as KEY_1 … KEY_20 or one KEY line of 20 numbers. */
export function parseRpcTxt(text: string, uri: string): Rpc {
  const values = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([A-Za-z_0-9]+)\s*:\s*(.*?)\s*$/.exec(line);
    if (m) values.set(m[1]!.toUpperCase(), m[2]!);
  }
  const num = (key: string): number | undefined => {
    const v = values.get(key);
    return v === undefined ? undefined : Number.parseFloat(v);
  };
  return build(
    uri,
    (i) => num(SCALARS[i]![1]),
    (i) => {
      const key = VECTORS[i]![1];
      const whole = values.get(key);
      if (whole !== undefined) return whole.split(/\s+/).filter(Boolean).map(Number);
      const out: number[] = [];
      for (let k = 1; values.has(`${key}_${k}`); k++) out.push(num(`${key}_${k}`)!);
      return out;
    },
  );
}

/** `key = value;` and `key = ( a, b, … );` inside BEGIN_GROUP = IMAGE. */
export function parseRpb(text: string, uri: string): Rpc {
  const values = new Map<string, string>();
  for (const m of text.matchAll(/([A-Za-z_0-9]+)[ \t]*=[ \t]*(\([^)]*\)|[^;\n]*);/g))
    values.set(m[1]!, m[2]!.trim());
  return build(
    uri,
    (i) => {
      const v = values.get(SCALARS[i]![2]);
      return v === undefined ? undefined : Number.parseFloat(v);
    },
    (i) =>
      (values.get(VECTORS[i]![2]) ?? "")
        .replace(/[()]/g, "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
        .map(Number),
  );
}

/** The sidecar URIs GDAL looks for next to `uri`, in its order. */
export function sidecarUris(uri: string): string[] {
  const slash = uri.lastIndexOf("/");
  const dot = uri.lastIndexOf(".");
  const base = dot > slash ? uri.slice(0, dot) : uri;
  return [`${base}_RPC.TXT`, `${base}_rpc.txt`, `${base}.RPB`, `${base}.rpb`];
}

/** The first RPC sidecar found next to `uri`, parsed; null when there is none. */
export async function readRpcSidecar(uri: string, options: OpenSourceOptions = {}): Promise<Rpc | null> {
  for (const candidate of sidecarUris(uri)) {
    const src = rawSource(candidate, options);
    try {
      const size = await src.size();
      const [bytes] = await src.read([{ offset: 0, length: size }]);
      const text = new TextDecoder().decode(bytes);
      return /\.rpb$/i.test(candidate) ? parseRpb(text, candidate) : parseRpcTxt(text, candidate);
    } catch (e) {
      // S3 answers 403 for a missing key when the reader may not list the bucket
      if (isIoError(e) && (e.code === "not-found" || e.code === "access-denied")) continue;
      throw e;
    } finally {
      await src.close();
    }
  }
  return null;
}
