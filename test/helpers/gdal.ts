/**
 * GDAL as an independent oracle for tests: run its CLI tools or a script under the system Python
 * (the one with the osgeo bindings), and read pixels exactly as GDAL sees them.
 */
import { execFile, execFileSync } from "node:child_process";
import type { DataType, TypedArray, Window } from "../../worker/io/raster.ts";
import { bytesPerSample, viewAs } from "../../worker/io/raster.ts";

/** The Python that has `from osgeo import gdal` (the pyenv one on PATH does not). */
export const PYTHON = "/usr/bin/python3";

function probe(): boolean {
  try {
    execFileSync("gdalinfo", ["--version"], { stdio: "ignore" });
    execFileSync(PYTHON, ["-c", "from osgeo import gdal; import numpy"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** True when gdalinfo and the Python bindings (with numpy) are installed. */
export const hasGdal: boolean = probe();

export interface RunResult {
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Run a program; rejects with its stderr when it exits non-zero. */
export function run(cmd: string, args: readonly string[], input?: string | Buffer): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { encoding: "buffer", maxBuffer: 1 << 30 },
      (error, stdout: Buffer, stderr: Buffer) => {
        if (error) {
          reject(new Error(`${cmd} ${args.join(" ")} failed: ${stderr.toString() || error.message}`));
        } else {
          resolve({ stdout, stderr: stderr.toString() });
        }
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Run a Python script (source text) under the GDAL-enabled Python with `sys.argv[1:] = args`. */
export async function python(script: string, args: readonly string[] = []): Promise<Buffer> {
  return (await run(PYTHON, ["-c", script, ...args])).stdout;
}

/** `gdal_translate args…` */
export async function gdalTranslate(args: readonly string[]): Promise<void> {
  await run("gdal_translate", ["-q", ...args]);
}

/** `gdalinfo -json [extra…] path`, parsed. */
export async function gdalinfoJson(path: string, extra: readonly string[] = []): Promise<GdalInfo> {
  return JSON.parse((await run("gdalinfo", ["-json", ...extra, path])).stdout.toString()) as GdalInfo;
}

/** The parts of `gdalinfo -json` that tests look at; everything else is still there untyped. */
export interface GdalInfo {
  readonly size: [number, number];
  readonly geoTransform?: number[];
  readonly coordinateSystem?: { wkt: string };
  readonly stac?: { "proj:epsg"?: number | null };
  readonly metadata?: Record<string, Record<string, string>>;
  readonly bands: { band: number; type: string; noDataValue?: number | string; checksum?: number }[];
  readonly [key: string]: unknown;
}

export interface GdalPixels {
  readonly dataType: DataType;
  readonly width: number;
  readonly height: number;
  readonly bands: TypedArray[];
}

const READ_SCRIPT = `
import sys, json
from osgeo import gdal
gdal.UseExceptions()
path, x, y, w, h, level, bands = sys.argv[1], *map(int, sys.argv[2:7]), sys.argv[7]
ds = gdal.Open(path)
names = {gdal.GDT_Byte: 'uint8', gdal.GDT_UInt16: 'uint16', gdal.GDT_Int16: 'int16',
         gdal.GDT_UInt32: 'uint32', gdal.GDT_Int32: 'int32', gdal.GDT_Float32: 'float32',
         gdal.GDT_Float64: 'float64'}
if hasattr(gdal, 'GDT_Int8'): names[gdal.GDT_Int8] = 'int8'
out = []
band_list = [int(b) for b in bands.split(',')] if bands else list(range(1, ds.RasterCount + 1))
for i in band_list:
    b = ds.GetRasterBand(i)
    t = names[b.DataType]
    if t == 'uint8' and b.GetMetadataItem('PIXELTYPE', 'IMAGE_STRUCTURE') == 'SIGNEDBYTE': t = 'int8'
    if level > 0: b = b.GetOverview(level - 1)
    if w < 0: x, y, w, h = 0, 0, b.XSize, b.YSize
    out.append(b.ReadRaster(x, y, w, h))
sys.stdout.buffer.write((json.dumps({'type': t, 'w': w, 'h': h}) + '\\n').encode())
for o in out: sys.stdout.buffer.write(o)
`;

/**
 * Pixels as GDAL reads them (ReadRaster, native little-endian order): the whole image when no window
 * is given; `bands` are 1-based; `level` k > 0 reads the k-th overview.
 */
export async function readWithGdal(
  path: string,
  window?: Window,
  opts: { bands?: readonly number[]; level?: number } = {},
): Promise<GdalPixels> {
  const w = window ?? { x: 0, y: 0, width: -1, height: -1 };
  const out = await python(READ_SCRIPT, [
    path,
    String(w.x),
    String(w.y),
    String(w.width),
    String(w.height),
    String(opts.level ?? 0),
    (opts.bands ?? []).join(","),
  ]);
  const nl = out.indexOf(10);
  const head = JSON.parse(out.subarray(0, nl).toString()) as { type: DataType; w: number; h: number };
  const perBand = head.w * head.h * bytesPerSample(head.type);
  const bands: TypedArray[] = [];
  for (let off = nl + 1; off < out.byteLength; off += perBand) {
    bands.push(viewAs(head.type, new Uint8Array(out.subarray(off, off + perBand))));
  }
  return { dataType: head.type, width: head.w, height: head.h, bands };
}

/** A raster for GDAL to create, with deterministic, compressible but not constant pixels. */
export interface RasterSpec {
  readonly path: string;
  readonly width: number;
  readonly height: number;
  readonly bands: number;
  readonly dataType: DataType;
  /** GTiff (default) or COG. */
  readonly driver?: "GTiff" | "COG";
  /** Creation options, e.g. ["TILED=YES", "COMPRESS=DEFLATE"]. */
  readonly options?: readonly string[];
  readonly epsg?: number;
  /** Any CRS GDAL's SetFromUserInput takes (e.g. a PROJ string); for user-defined CRSs. */
  readonly srs?: string;
  readonly geoTransform?: readonly number[];
  /** Writes GDAL_NODATA and fills the top-left third of the image with it (sparse blocks with SPARSE_OK). */
  readonly nodata?: number;
  /** AREA_OR_POINT=Point (RasterTypeGeoKey = PixelIsPoint). */
  readonly pixelIsPoint?: boolean;
  /** RPC metadata domain (GDAL keys: LINE_OFF, LINE_NUM_COEFF, …). */
  readonly rpc?: Readonly<Record<string, string>>;
  readonly seed?: number;
}

const MAKE_SCRIPT = `
import sys, json
import numpy as np
from osgeo import gdal, osr
gdal.UseExceptions()
types = {'uint8': (gdal.GDT_Byte, np.uint8), 'int8': (gdal.GDT_Byte, np.int8),
         'uint16': (gdal.GDT_UInt16, np.uint16), 'int16': (gdal.GDT_Int16, np.int16),
         'uint32': (gdal.GDT_UInt32, np.uint32), 'int32': (gdal.GDT_Int32, np.int32),
         'float32': (gdal.GDT_Float32, np.float32), 'float64': (gdal.GDT_Float64, np.float64)}
for s in json.loads(sys.stdin.read()):
    w, h, n = s['width'], s['height'], s['bands']
    gtype, nptype = types[s['dataType']]
    if s['dataType'] == 'int8' and hasattr(gdal, 'GDT_Int8'): gtype = gdal.GDT_Int8
    mem = gdal.GetDriverByName('MEM').Create('', w, h, n, gtype)
    options = list(s.get('options', []))
    if s['dataType'] == 'int8' and gtype == gdal.GDT_Byte: options.append('PIXELTYPE=SIGNEDBYTE')
    rng = np.random.default_rng(s.get('seed', 1))
    y, x = np.mgrid[0:h, 0:w]
    for b in range(n):
        v = (np.sin(x / 37.0 + b) + np.cos(y / 23.0 - b)) * 0.22 + 0.5 + rng.random((h, w)) * 0.06
        if np.issubdtype(nptype, np.integer):
            info = np.iinfo(nptype)
            a = np.floor(info.min + v * (float(info.max) - float(info.min))).clip(info.min, info.max).astype(nptype)
        else:
            a = ((v - 0.5) * 2000.0 + (x % 7) * 0.125).astype(nptype)
        if s.get('nodata') is not None:
            a[: h // 3, : w // 3] = float(s['nodata'])
        # A GDAL 3.6 Byte band stores int8 as its bit pattern (PIXELTYPE=SIGNEDBYTE on the file).
        mem.GetRasterBand(b + 1).WriteArray(a.view(np.uint8) if nptype == np.int8 and gtype == gdal.GDT_Byte else a)
        if s.get('nodata') is not None: mem.GetRasterBand(b + 1).SetNoDataValue(float(s['nodata']))
    if s.get('epsg'):
        srs = osr.SpatialReference(); srs.ImportFromEPSG(s['epsg']); mem.SetProjection(srs.ExportToWkt())
    if s.get('srs'):
        srs = osr.SpatialReference(); srs.SetFromUserInput(s['srs']); mem.SetProjection(srs.ExportToWkt())
    if s.get('geoTransform'): mem.SetGeoTransform(s['geoTransform'])
    if s.get('pixelIsPoint'): mem.SetMetadataItem('AREA_OR_POINT', 'Point')
    if s.get('rpc'): mem.SetMetadata(s['rpc'], 'RPC')
    gdal.GetDriverByName(s.get('driver', 'GTiff')).CreateCopy(s['path'], mem, options=options)
`;

/** Create rasters with GDAL, all in one Python process. */
export async function makeRasters(specs: readonly RasterSpec[]): Promise<void> {
  // JSON has no NaN; Python's float() reads the string "nan".
  const json = JSON.stringify(specs, (_, v: unknown) =>
    typeof v === "number" && Number.isNaN(v) ? "nan" : v,
  );
  await run(PYTHON, ["-c", MAKE_SCRIPT], json);
}
