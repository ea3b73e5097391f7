/**
 * Pixels of a quicklook: one band through a colour map (or as grey), or three bands as RGB, each band
 * stretched linearly over a value range (given, or the 2nd–98th percentile of its valid pixels).
 * Invalid pixels (nodata, NaN) become transparent; the alpha channel is only there when some exist.
 */
import type { Block } from "../raster.ts";
import { type ColormapName, colormapTable } from "./colormap.ts";
import type { PngChannels, PngImage } from "./encode.ts";
import { percentiles, stretchInto, validMask } from "./stretch.ts";

export const STRETCH_PERCENTILES = [2, 98] as const;

export interface RenderOptions {
  /** For one band; three bands are always RGB. */
  readonly colormap: ColormapName | "grey";
  /** One range for every band; default: per band, the STRETCH_PERCENTILES of its valid pixels. */
  readonly range?: readonly [number, number];
}

export interface Rendered {
  readonly image: PngImage;
  /** The range each band was stretched over; null for a band without a valid pixel. */
  readonly ranges: ([number, number] | null)[];
  readonly validPixels: number;
}

export function renderQuicklook(block: Block, nodata: number | null, opts: RenderOptions): Rendered {
  const { width, height, bands } = block;
  if (bands.length !== 1 && bands.length !== 3) {
    throw new RangeError(`a quicklook takes 1 band (colour map) or 3 (RGB), not ${bands.length}`);
  }
  const n = width * height;
  const mask = validMask(bands, block.dataType, nodata);
  let validPixels = 0;
  for (let i = 0; i < n; i++) validPixels += mask[i]!;
  const alpha = validPixels < n;
  const ranges = bands.map((band): [number, number] | null => {
    if (opts.range) return [opts.range[0], opts.range[1]];
    const p = percentiles(band, block.dataType, mask, STRETCH_PERCENTILES);
    return p && [p[0]!, p[1]!];
  });
  const colours = bands.length === 3 ? 3 : opts.colormap === "grey" ? 1 : 3;
  const channels = (colours + (alpha ? 1 : 0)) as PngChannels;
  const pixels = new Uint8Array(n * channels);

  if (bands.length === 3 || opts.colormap === "grey") {
    bands.forEach((band, c) => {
      const r = ranges[c];
      if (r) stretchInto(band, mask, r[0], r[1], pixels, c, channels);
    });
  } else if (ranges[0]) {
    const index = new Uint8Array(n);
    stretchInto(bands[0]!, mask, ranges[0][0], ranges[0][1], index, 0, 1);
    const table = colormapTable(opts.colormap);
    for (let i = 0, o = 0; i < n; i++, o += channels) {
      if (!mask[i]) continue;
      const t = index[i]! * 3;
      pixels[o] = table[t]!;
      pixels[o + 1] = table[t + 1]!;
      pixels[o + 2] = table[t + 2]!;
    }
  }
  if (alpha) for (let i = 0, o = channels - 1; i < n; i++, o += channels) pixels[o] = mask[i] ? 255 : 0;
  return { image: { width, height, channels, pixels }, ranges, validPixels };
}
