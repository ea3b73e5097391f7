import { openSink } from "../../worker/io/sink/open.ts";
import { createCogWriter } from "../../worker/io/tiff/cog-writer.ts";
import { SCENE_CRS, type SceneSpec, sceneBlock, sceneGeoTransform } from "./scene.ts";

/** Generate the synthetic scene tile by tile straight into a COG at `uri`; returns its size in bytes. */
export async function writeSceneCog(
  spec: SceneSpec,
  uri: string,
  options: { tileSize?: number; compression?: "deflate" | "lzw" | "none" } = {},
): Promise<number> {
  const tileSize = options.tileSize ?? 512;
  const writer = await createCogWriter({
    width: spec.width,
    height: spec.height,
    bandCount: 4,
    dataType: "uint16",
    tileSize,
    compression: options.compression ?? "deflate",
    crs: SCENE_CRS,
    geoTransform: sceneGeoTransform(spec),
    nodata: 0,
    overviews: "auto",
    resampling: "average",
  });
  const sink = await openSink(uri);
  try {
    const pending: Promise<void>[] = [];
    for (let ty = 0; ty * tileSize < spec.height; ty++) {
      for (let tx = 0; tx * tileSize < spec.width; tx++) {
        const x = tx * tileSize;
        const y = ty * tileSize;
        const block = sceneBlock(
          spec,
          x,
          y,
          Math.min(tileSize, spec.width - x),
          Math.min(tileSize, spec.height - y),
        );
        pending.push(writer.addTile(tx, ty, block));
      }
    }
    await Promise.all(pending);
    return (await writer.finish(sink)).bytes;
  } catch (e) {
    await Promise.allSettled([sink.abort(), writer.abort()]);
    throw e;
  }
}
