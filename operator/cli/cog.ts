import { parseArgs } from "node:util";
import { createCogWriter } from "../../worker/io/tiff/cog-writer.ts";
import { openSink } from "../../worker/io/sink/open.ts";
import { openRaster } from "../../worker/io/tiff/reader.ts";
import { UsageError } from "./failure.ts";
import { toUri } from "./uri.ts";

const COMPRESSIONS = ["deflate", "lzw", "none"] as const;
const OVERVIEWS = ["auto", "none"] as const;
const RESAMPLINGS = ["average", "nearest"] as const;

function oneOf<T extends string>(option: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${option} must be one of ${allowed.join(", ")}, not '${value}'`);
  }
  return value as T;
}

/**
 * Rewrite any readable GeoTIFF as a COG, a row of tiles at a time: the next row is read while the current one
 * is compressed, so memory stays at two rows of tiles and both cores stay busy.
 */
export async function cogCommand(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      compression: { type: "string", default: "deflate" },
      tile: { type: "string", default: "512" },
      overviews: { type: "string", default: "auto" },
      resampling: { type: "string", default: "average" },
      level: { type: "string", default: "6" },
    },
  });
  if (positionals.length !== 2) throw new UsageError("cog takes two URIs: imagechain cog <in-uri> <out-uri>");
  const compression = oneOf("compression", values.compression, COMPRESSIONS);
  const overviews = oneOf("overviews", values.overviews, OVERVIEWS);
  const resampling = oneOf("resampling", values.resampling, RESAMPLINGS);
  const tileSize = Number(values.tile);
  if (!Number.isInteger(tileSize) || tileSize < 16 || tileSize > 4096 || tileSize % 16 !== 0) {
    throw new UsageError(`--tile must be a multiple of 16 between 16 and 4096, not '${values.tile}'`);
  }

  const level = Number(values.level);
  if (!Number.isInteger(level) || level < 1 || level > 9) {
    throw new UsageError(`--level (the deflate level) must be 1..9, not '${values.level}'`);
  }

  const input = await openRaster(toUri(positionals[0]!));
  const { info } = input;
  const writer = await createCogWriter({
    width: info.width,
    height: info.height,
    bandCount: info.bandCount,
    dataType: info.dataType,
    tileSize,
    compression,
    level,
    crs: info.crs,
    geoTransform: info.geoTransform,
    nodata: info.nodata,
    overviews,
    resampling,
  });
  const sink = await openSink(toUri(positionals[1]!)).catch(async (e: unknown) => {
    await Promise.all([writer.abort(), input.close()]);
    throw e;
  });
  try {
    const rows = Math.ceil(info.height / tileSize);
    const cols = Math.ceil(info.width / tileSize);
    // Tile-sized windows, so the writer gets its blocks without a crop; blocks shared by neighbouring
    // tiles (strips, unaligned tiles) are decoded once thanks to the reader's decoded-block cache.
    const readRow = (ty: number) => {
      const y = ty * tileSize;
      const height = Math.min(tileSize, info.height - y);
      return Promise.all(
        Array.from({ length: cols }, (_, tx) => {
          const x = tx * tileSize;
          return input.readWindow({ x, y, width: Math.min(tileSize, info.width - x), height });
        }),
      );
    };
    let next = readRow(0);
    for (let ty = 0; ty < rows; ty++) {
      const row = await next;
      if (ty + 1 < rows) {
        next = readRow(ty + 1);
        // Awaited on the next turn; until then a failure must not surface as an unhandled rejection.
        next.catch(() => {});
      }
      await Promise.all(row.map((block, tx) => writer.addTile(tx, ty, block)));
    }
    const { bytes } = await writer.finish(sink);
    process.stderr.write(`wrote ${positionals[1]} (${bytes} bytes)\n`);
    return 0;
  } catch (e) {
    await Promise.allSettled([sink.abort(), writer.abort()]);
    throw e;
  } finally {
    await input.close();
  }
}
