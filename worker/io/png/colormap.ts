/**
 * 256-entry colour tables, each interpolated linearly (in 8-bit sRGB) between published anchor colours
 * spread evenly over indexes 0..255. Entry i is the colour of the normalised value i / 255.
 */

export const COLORMAPS = ["viridis", "rdylgn"] as const;
export type ColormapName = (typeof COLORMAPS)[number];

/**
 * viridis (Stéfan van der Walt and Nathaniel Smith, CC0): every 5th entry (0, 5, …, 255) of matplotlib's
 * `_viridis_data` in lib/matplotlib/_cm_listed.py, rounded to 8 bits. Interpolating these 52 anchors gives
 * every one of the 256 original entries within ±1.
 */
const VIRIDIS = [
  "440154", "46085c", "471063", "481769", "481d6f", "482475", "472a7a", "46307e", "453781", "433d84",
  "414287", "3f4889", "3d4e8a", "3a538b", "38598c", "355e8d", "33638d", "31688e", "2e6d8e", "2c718e",
  "2a768e", "297b8e", "27808e", "25848e", "23898e", "218e8d", "20928c", "1f978b", "1e9c89", "1fa188",
  "21a585", "24aa83", "28ae80", "2eb37c", "35b779", "3dbc74", "46c06f", "50c46a", "5ac864", "65cb5e",
  "70cf57", "7cd250", "89d548", "95d840", "a2da37", "b0dd2f", "bddf26", "cae11f", "d8e219", "e5e419",
  "f1e51d", "fde725",
]; // prettier-ignore

/**
 * RdYlGn, 11 classes, from ColorBrewer (Cynthia A. Brewer, Pennsylvania State University, colorbrewer2.org,
 * Apache-2.0): red for low values, pale yellow in the middle, green for high ones, which suits NDVI.
 */
const RDYLGN = [
  "a50026", "d73027", "f46d43", "fdae61", "fee08b", "ffffbf", "d9ef8b", "a6d96a", "66bd63", "1a9850", "006837",
]; // prettier-ignore

/** RGB triplets, 768 bytes: the anchors' colours interpolated at i × (anchors − 1) / 255. */
export function interpolateTable(anchors: readonly string[]): Uint8Array {
  const rgb = anchors.map((hex) => [0, 2, 4].map((k) => parseInt(hex.slice(k, k + 2), 16)));
  const table = new Uint8Array(256 * 3);
  const last = anchors.length - 1;
  for (let i = 0; i < 256; i++) {
    const t = (i * last) / 255;
    const k = Math.min(Math.floor(t), last - 1);
    const f = t - k;
    for (let c = 0; c < 3; c++) {
      table[i * 3 + c] = Math.round(rgb[k]![c]! + (rgb[k + 1]![c]! - rgb[k]![c]!) * f);
    }
  }
  return table;
}

const ANCHORS: Record<ColormapName, readonly string[]> = { viridis: VIRIDIS, rdylgn: RDYLGN };
const tables = new Map<ColormapName, Uint8Array>();

/** The 256 × RGB table of a colour map, built once. */
export function colormapTable(name: ColormapName): Uint8Array {
  let table = tables.get(name);
  if (!table) {
    table = interpolateTable(ANCHORS[name]);
    tables.set(name, table);
  }
  return table;
}
