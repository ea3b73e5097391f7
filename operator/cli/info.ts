import { parseArgs } from "node:util";
import { openRaster, type RasterInfo } from "../../worker/io/tiff/reader.ts";
import { UsageError } from "./failure.ts";
import { toUri } from "./uri.ts";

export async function infoCommand(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: "boolean", default: false } },
  });
  if (positionals.length !== 1)
    throw new UsageError("info takes exactly one URI: imagechain info <uri> [--json]");
  const raster = await openRaster(toUri(positionals[0]!));
  try {
    process.stdout.write(values.json ? `${JSON.stringify(raster.info, null, 2)}\n` : describe(raster.info));
  } finally {
    await raster.close();
  }
  return 0;
}

function describe(info: RasterInfo): string {
  const { layout } = info;
  const gt = info.geoTransform;
  const crs =
    info.crs.epsg !== null ? `EPSG:${info.crs.epsg}` : info.crs.wkt ? "custom (WKT, see --json)" : "none";
  const lines = [
    info.uri,
    `  size        ${info.width} x ${info.height}, ${info.bandCount} band${info.bandCount > 1 ? "s" : ""}, ${info.dataType}`,
    `  crs         ${crs}`,
    gt
      ? `  origin      ${gt[0]}, ${gt[3]}   pixel size ${gt[1]}, ${gt[5]}${gt[2] || gt[4] ? `   rotation ${gt[2]}, ${gt[4]}` : ""}`
      : "  origin      none (no georeference)",
    `  nodata      ${info.nodata ?? "none"}`,
    `  layout      ${layout.tiled ? "tiled" : "striped"} ${layout.blockWidth}x${layout.blockHeight}, ${layout.interleave} interleaved, ${layout.compression}, predictor ${layout.predictor}, ${layout.bigTiff ? "BigTIFF" : "classic TIFF"}, ${layout.byteOrder} endian`,
    `  overviews   ${info.overviews.length ? info.overviews.map((o) => `${o.width}x${o.height}`).join(", ") : "none"}`,
    `  COG         ${info.cog.valid ? "valid" : "not a valid COG"}`,
    ...info.cog.errors.map((e) => `                error: ${e}`),
    ...info.cog.warnings.map((w) => `                warning: ${w}`),
    `  rpc         ${info.rpc ? "present (see --json)" : "none"}`,
  ];
  return `${lines.join("\n")}\n`;
}
