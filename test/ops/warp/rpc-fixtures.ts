import { join } from "node:path";
import type { Rpc } from "../../../worker/io/tiff/rpc.ts";
import { python } from "../../helpers/gdal.ts";

/**
 * A synthetic but sensor-like RPC model near Toulouse (UTM 31N): ~4.4 m pixels, a slight rotation and
 * shear, curvature in the denominators, and an off-nadir view (a 500 m height change moves a point
 * about 12 px across track, 4 px along track). `groundScale` stretches the ground extent (and pixels),
 * `parallax` the height terms.
 */
export function syntheticRpc(size: number, groundScale = 1, parallax = 1): Rpc {
  // terms with H: 4, 6, 7, 10, 11, 14, 17, 18, 19, 20 (1-based)
  const withH = new Set([3, 5, 6, 9, 10, 13, 16, 17, 18, 19]);
  const z = (terms: Record<number, number>) =>
    Array.from({ length: 20 }, (_, i) => (terms[i] ?? 0) * (withH.has(i) ? parallax : 1));
  return {
    errBias: -1,
    errRand: -1,
    lineOff: size / 2,
    sampOff: size / 2,
    latOff: 43.6,
    longOff: 1.44,
    heightOff: 250,
    lineScale: size / 2,
    sampScale: size / 2,
    latScale: 0.006 * groundScale,
    longScale: 0.008 * groundScale,
    heightScale: 500,
    lineNumCoeff: z({ 0: 0.002, 1: 0.05, 2: -1.0, 3: 0.03, 4: 0.004, 7: 0.002, 8: -0.003 }),
    lineDenCoeff: z({ 0: 1, 1: 0.001, 2: 0.002 }),
    sampNumCoeff: z({ 0: -0.001, 1: 1.02, 2: 0.08, 3: 0.08, 4: -0.003, 7: 0.004, 9: 0.001 }),
    sampDenCoeff: z({ 0: 1, 1: -0.002, 2: 0.001 }),
  };
}

/** The RPC metadata domain as GDAL writes it. */
export function rpcMetadata(rpc: Rpc): Record<string, string> {
  const list = (v: readonly number[]) => v.map((x) => x.toPrecision(15)).join(" ");
  return {
    ERR_BIAS: String(rpc.errBias),
    ERR_RAND: String(rpc.errRand),
    LINE_OFF: String(rpc.lineOff),
    SAMP_OFF: String(rpc.sampOff),
    LAT_OFF: String(rpc.latOff),
    LONG_OFF: String(rpc.longOff),
    HEIGHT_OFF: String(rpc.heightOff),
    LINE_SCALE: String(rpc.lineScale),
    SAMP_SCALE: String(rpc.sampScale),
    LAT_SCALE: String(rpc.latScale),
    LONG_SCALE: String(rpc.longScale),
    HEIGHT_SCALE: String(rpc.heightScale),
    LINE_NUM_COEFF: list(rpc.lineNumCoeff),
    LINE_DEN_COEFF: list(rpc.lineDenCoeff),
    SAMP_NUM_COEFF: list(rpc.sampNumCoeff),
    SAMP_DEN_COEFF: list(rpc.sampDenCoeff),
  };
}

const DEM_SCRIPT = `
import sys, numpy as np
from osgeo import gdal, osr
gdal.UseExceptions()
path, epsg, x0, y0, res, w, h = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
y, x = np.mgrid[0:h, 0:w]
# hills and a valley between 0 and 520 m: inside the model's fitted range (250 +/- 500 m)
z = 260 + 160 * np.sin(x / 9.0) * np.cos(y / 13.0) + 90 * np.sin((x + 2 * y) / 23.0) + 0.5 * ((x * 7 + y * 3) % 5)
ds = gdal.GetDriverByName('GTiff').Create(path, w, h, 1, gdal.GDT_Float32)
ds.GetRasterBand(1).WriteArray(z.astype(np.float32))
srs = osr.SpatialReference(); srs.ImportFromEPSG(epsg); ds.SetProjection(srs.ExportToWkt())
ds.SetGeoTransform([x0, res, 0, y0, 0, -res])
ds = None
`;

const IMAGE_SCRIPT = `
import sys, json, numpy as np
from osgeo import gdal
gdal.UseExceptions()
path, size, nbands, dtype, md = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], json.loads(sys.argv[5])
options = sys.argv[6].split(',')
y, x = np.mgrid[0:size, 0:size].astype(np.float32)
# smooth texture (no per-pixel noise): resampling differences then measure geometry, not noise
bands = [
    lambda: 20000 + 8000 * np.sin(x / 11.0) * np.cos(y / 17.0) + 2000 * np.sin((x - y) / 5.0),
    lambda: 9000 + 6000 * np.cos((x + 0.5 * y) / 19.0) + 1500 * np.sin(y / 4.0),
    lambda: 15000 + 7000 * np.sin((x + y) / 29.0) + 2500 * np.cos(x / 6.0),
    lambda: 30000 + 9000 * np.cos(x / 41.0) * np.sin(y / 7.0),
]
gtype, scale = (gdal.GDT_UInt16, 1.0) if dtype == 'uint16' else (gdal.GDT_Byte, 1.0 / 128)
ds = gdal.GetDriverByName('GTiff').Create(path, size, size, nbands, gtype, options=options)
for i in range(nbands):
    ds.GetRasterBand(i + 1).WriteArray(np.floor(bands[i]() * scale + 0.5))
ds.SetMetadata(md, 'RPC')
ds = None
`;

export interface RpcScene {
  readonly image: string;
  readonly dem: string;
  readonly rpc: Rpc;
}

/**
 * A `size`² 2-band image (smooth texture) carrying the RPC model (tag 50844, written by GDAL), and a Float32 DEM
 * covering it with margin: in WGS 84 degrees (about 45 m) or in UTM 31N metres (40 m).
 */
export async function makeRpcScene(
  dir: string,
  size: number,
  demCrs: 4326 | 32631 = 4326,
  dataType: "uint16" | "uint8" = "uint16",
): Promise<RpcScene> {
  const rpc = syntheticRpc(size);
  const image = join(dir, `rpc-image-${size}-${dataType}.tif`);
  const dem = join(dir, `dem-${size}-${demCrs}.tif`);
  await writeRpcImage(image, size, 2, dataType, rpc, ["TILED=YES", "BLOCKXSIZE=128", "BLOCKYSIZE=128"]);
  if (demCrs === 4326) await writeDem(dem, 4326, [1.44 - 0.02, 43.6 + 0.015], 0.0005, 80, 60);
  else await writeDem(dem, 32631, [372_000, 4_829_950], 40, 75, 55);
  return { image, dem, rpc };
}

/** A `size`² image of `bands` (≤ 4) smooth bands with the RPC model, written by GDAL with `options`. */
export async function writeRpcImage(
  path: string,
  size: number,
  bands: number,
  dataType: "uint16" | "uint8",
  rpc: Rpc,
  options: readonly string[],
): Promise<void> {
  const md = JSON.stringify(rpcMetadata(rpc));
  await python(IMAGE_SCRIPT, [path, String(size), String(bands), dataType, md, options.join(",")]);
}

/** A Float32 DEM (heights 0..520 m), north-up from `origin` (its top-left corner) in `epsg`. */
export async function writeDem(
  path: string,
  epsg: number,
  origin: readonly [number, number],
  res: number,
  width: number,
  height: number,
): Promise<void> {
  const args = [epsg, origin[0], origin[1], res, width, height].map(String);
  await python(DEM_SCRIPT, [path, ...args]);
}
