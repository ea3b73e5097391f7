/** The chain's sources as the worker and the planner see them: open readers, their grids, the S3 settings. */
import type { ImageChainSpec } from "../../operator/spec/schema.ts";
import type { SourceGrids } from "../../operator/plan/grids.ts";
import { readRpcSidecar } from "../io/rpc-sidecar.ts";
import type { S3Options } from "../io/s3.ts";
import { openRaster, type RasterInfo, type RasterReader } from "../io/tiff/reader.ts";
import type { Grid } from "../ops/grid.ts";

/** The spec's S3 endpoint settings; credentials come from the environment (a pod gets them from the Secret). */
export function s3OptionsOf(spec: ImageChainSpec): S3Options {
  const s3 = spec.storage?.s3;
  if (!s3) return {};
  return {
    ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
    ...(s3.region ? { region: s3.region } : {}),
    forcePathStyle: s3.forcePathStyle,
  };
}

export function gridOf(info: RasterInfo, sidecarRpc: Grid["rpc"] = null): Grid {
  const rpc = info.rpc ?? sidecarRpc;
  return {
    width: info.width,
    height: info.height,
    bands: info.bandCount,
    dataType: info.dataType,
    geoTransform: info.geoTransform,
    crs: info.crs,
    nodata: info.nodata,
    ...(rpc ? { rpc } : {}),
  };
}

export interface OpenSources {
  readonly readers: ReadonlyMap<string, RasterReader>;
  readonly grids: SourceGrids;
  close(): Promise<void>;
}

/** Open every source (in parallel); if one fails, the others are closed and its error is thrown. */
/**
 * A source's grid as the planner sees it. Sensor-geometry images (no geotransform) may carry their RPC
 * model in a sidecar file (`_RPC.TXT`, `.RPB`), as GDAL reads it.
 */
export async function sourceGrid(uri: string, reader: RasterReader, s3: S3Options): Promise<Grid> {
  const sidecar = reader.info.rpc || reader.info.geoTransform ? null : await readRpcSidecar(uri, { s3 });
  return gridOf(reader.info, sidecar);
}

export async function openSources(spec: ImageChainSpec, s3: S3Options): Promise<OpenSources> {
  const names = Object.keys(spec.sources);
  const settled = await Promise.allSettled(names.map((n) => openRaster(spec.sources[n]!.uri, { s3 })));
  const readers = new Map<string, RasterReader>();
  settled.forEach((r, i) => {
    if (r.status === "fulfilled") readers.set(names[i]!, r.value);
  });
  const close = async () => {
    await Promise.allSettled([...readers.values()].map((r) => r.close()));
  };
  const failed = settled.find((r) => r.status === "rejected");
  if (failed) {
    await close();
    throw failed.reason;
  }
  try {
    const entries = await Promise.all(
      [...readers].map(async ([n, r]) => [n, await sourceGrid(spec.sources[n]!.uri, r, s3)] as const),
    );
    return { readers, grids: Object.fromEntries(entries), close };
  } catch (e) {
    await close();
    throw e;
  }
}
