import { parseArgs } from "node:util";
import { createCogWriter } from "../../worker/io/tiff/cog-writer.ts";
import { DEFAULT_DEFLATE_LEVEL } from "../../worker/io/tiff/cog-spec.ts";
import { openSink } from "../../worker/io/sink/open.ts";
import { type TypedArray, typedArrayFor } from "../../worker/io/raster.ts";
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
      level: { type: "string", default: String(DEFAULT_DEFLATE_LEVEL) },
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

  const input = await openRaster(toUri(positionals[0]!), {
    // Input blocks that tile the output tiles exactly are each read once: caching them decoded would
    // only hold memory. Otherwise neighbouring windows share blocks, which the default cache keeps.
    decodedCacheBytes: (layout) =>
      tileSize % layout.blockWidth === 0 && tileSize % layout.blockHeight === 0 ? 0 : undefined,
  });
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
    // Band arrays of full tiles, recycled once the writer has taken a tile (two rows' worth at most).
    const free: TypedArray[][] = [];
    const fullTile = () =>
      free.pop() ?? Array.from({ length: info.bandCount }, () => typedArrayFor(info.dataType, tileSize ** 2));
    // Tile-sized windows, so the writer gets its blocks without a crop; blocks shared by neighbouring
    // tiles (strips, unaligned tiles) are decoded once thanks to the reader's decoded-block cache.
    const readRow = (ty: number) => {
      const y = ty * tileSize;
      const height = Math.min(tileSize, info.height - y);
      return Promise.all(
        Array.from({ length: cols }, (_, tx) => {
          const x = tx * tileSize;
          const width = Math.min(tileSize, info.width - x);
          const arrays = fullTile();
          const into = arrays.map((a) => a.subarray(0, width * height));
          return input.readWindow({ x, y, width, height }, { into }).then((block) => ({ block, arrays }));
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
      await Promise.all(
        row.map(async ({ block, arrays }, tx) => {
          await writer.addTile(tx, ty, block);
          free.push(arrays);
        }),
      );
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
