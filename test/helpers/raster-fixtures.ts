/** Small COGs with pixels given by a function, written with imagechain's own COG writer (fast, no GDAL). */
import type { DataType } from "../../worker/io/raster.ts";
import { typedArrayFor } from "../../worker/io/raster.ts";
import { openSink } from "../../worker/io/sink/open.ts";
import { createCogWriter } from "../../worker/io/tiff/cog-writer.ts";
import { addAll } from "./cog-fixtures.ts";

export interface CogFixture {
  readonly width: number;
  readonly height: number;
  readonly dataType: DataType;
  readonly nodata?: number | null;
  readonly overviews?: "auto" | "none";
  readonly tileSize?: number;
  /** One function per band: the value of pixel (x, y). */
  readonly bands: readonly ((x: number, y: number) => number)[];
}

export async function writeFixtureCog(path: string, f: CogFixture): Promise<void> {
  const tileSize = f.tileSize ?? 64;
  const image = f.bands.map((value) => {
    const a = typedArrayFor(f.dataType, f.width * f.height);
    for (let y = 0; y < f.height; y++) for (let x = 0; x < f.width; x++) a[y * f.width + x] = value(x, y);
    return a;
  });
  const writer = await createCogWriter({
    width: f.width,
    height: f.height,
    bandCount: f.bands.length,
    dataType: f.dataType,
    tileSize,
    crs: { epsg: 32631, wkt: null },
    geoTransform: [300000, 10, 0, 5000000, 0, -10],
    nodata: f.nodata ?? null,
    overviews: f.overviews ?? "auto",
  });
  await addAll(writer, image, f.dataType, f.width, f.height, tileSize);
  await writer.finish(await openSink(path));
}
