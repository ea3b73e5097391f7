import {
  cropBlock,
  typedArrayFor,
  type Block,
  type DataType,
  type TypedArray,
  type Window,
} from "../../worker/io/raster.ts";
import { convolve, type ConvolveParams, type Kernel } from "../../worker/ops/convolve.ts";
import { footprintRegion } from "../../worker/ops/footprint.ts";
import type { Grid } from "../../worker/ops/grid.ts";
import { mulberry32 } from "../../scripts/lib/prng.ts";

/** A test image: a grid and its whole block. */
export interface Image {
  readonly grid: Grid;
  readonly block: Block;
}

export function image(
  width: number,
  height: number,
  dataType: DataType,
  value: (x: number, y: number, band: number) => number,
  options: { bands?: number; nodata?: number | null } = {},
): Image {
  const bands = options.bands ?? 1;
  const grid: Grid = {
    width,
    height,
    bands,
    dataType,
    geoTransform: [500000, 10, 0, 4000000, 0, -10],
    crs: { epsg: 32631, wkt: null },
    nodata: options.nodata ?? null,
  };
  const arrays = Array.from({ length: bands }, (_, b) => {
    const a = typedArrayFor(dataType, width * height);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) a[y * width + x] = value(x, y, b);
    return a;
  });
  return { grid, block: { width, height, dataType, bands: arrays } };
}

/** Seeded noise in [-100, 100), with sharp steps so that every tap matters. */
export function noise(seed: number): (x: number, y: number) => number {
  const random = mulberry32(seed);
  const cache = new Map<string, number>();
  return (x, y) => {
    const key = `${x},${y}`;
    if (!cache.has(key)) cache.set(key, Math.floor(random() * 2000) / 10 - 100 + random() / 7);
    return cache.get(key)!;
  };
}

export function parse(p: Record<string, unknown>): ConvolveParams {
  return convolve.params.parse(p);
}

export function outputGridOf(params: ConvolveParams, img: Image): Grid {
  const g = convolve.outputGrid(params, new Map([["im", img.grid]]));
  if ("code" in g) throw new Error(g.message);
  return g;
}

/** What the task runner does for one output tile: read the halo footprint (clipped), call the kernel. */
export function runTile(params: ConvolveParams, img: Image, tile: Window): Block {
  const fp = convolve.footprint(params, "im", img.grid, outputGridOf(params, img));
  const region = footprintRegion(fp, tile, img.grid.width, img.grid.height)!;
  const block = cropBlock(img.block, region.x, region.y, region.width, region.height);
  const inputs = new Map([["im", { block, window: region, grid: img.grid }]]);
  return convolve.kernel(params, inputs, { window: tile, grid: outputGridOf(params, img) });
}

/** The whole output assembled from tiles of `tw` x `th` (the last ones cut by the image edge). */
export function runTiled(params: ConvolveParams, img: Image, tw: number, th: number): Block {
  const { width, height } = img.grid;
  const grid = outputGridOf(params, img);
  const bands = Array.from({ length: grid.bands }, () => typedArrayFor(grid.dataType, width * height));
  for (let ty = 0; ty < height; ty += th) {
    for (let tx = 0; tx < width; tx += tw) {
      const tile = { x: tx, y: ty, width: Math.min(tw, width - tx), height: Math.min(th, height - ty) };
      const out = runTile(params, img, tile);
      out.bands.forEach((src, b) => {
        for (let row = 0; row < tile.height; row++) {
          bands[b]!.set(src.subarray(row * tile.width, (row + 1) * tile.width), (ty + row) * width + tx);
        }
      });
    }
  }
  return { width, height, dataType: grid.dataType, bands };
}

export function whole(params: ConvolveParams, img: Image): Block {
  return runTile(params, img, { x: 0, y: 0, width: img.grid.width, height: img.grid.height });
}

export function bytesOf(a: TypedArray): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

// ---- the reference: one output pixel at a time, written from the definitions ----

type Border = ConvolveParams["border"];

/** reflect = OpenCV BORDER_REFLECT_101 (d c b | a b c d | c b a), folded until inside. */
function fold(i: number, n: number, border: Border): number {
  if (typeof border === "object") return i < 0 || i >= n ? -1 : i;
  if (border === "edge") return Math.min(n - 1, Math.max(0, i));
  if (n === 1) return 0;
  while (i < 0 || i >= n) {
    if (i < 0) i = -i;
    if (i >= n) i = 2 * (n - 1) - i;
  }
  return i;
}

/** The input sample at (x, y), any position, through the border rule (as float64). */
export function sampleAt(img: Image, band: number, border: Border, x: number, y: number): number {
  const fx = fold(x, img.grid.width, border);
  const fy = fold(y, img.grid.height, border);
  if (fx < 0 || fy < 0) return (border as { constant: number }).constant;
  return img.block.bands[band]![fy * img.grid.width + fx]!;
}

/** A kernel as the reference sees it: separable factors (summed across then down) or a 2-D matrix. */
export type RefKernel =
  { kind: "separable"; h: number[]; v: number[] } | { kind: "direct"; m: number[][] } | { kind: "magnitude" };

const SOBEL_X = { kind: "separable", h: [-1, 0, 1], v: [1, 2, 1] } as const;
const SOBEL_Y = { kind: "separable", h: [1, 2, 1], v: [-1, 0, 1] } as const;

export function refKernel(k: Kernel): RefKernel {
  if (k.gaussian) {
    const s = k.gaussian.sigma;
    const r = Math.max(1, Math.ceil(3 * s));
    const raw = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * s * s)));
    const total = raw.reduce((a, b) => a + b, 0);
    const g = raw.map((v) => v / total);
    return { kind: "separable", h: g, v: g };
  }
  if (k.box) {
    const b = new Array<number>(k.box.size).fill(1 / k.box.size);
    return { kind: "separable", h: b, v: b };
  }
  if (k.sobel === "x") return { ...SOBEL_X, h: [...SOBEL_X.h], v: [...SOBEL_X.v] };
  if (k.sobel === "y") return { ...SOBEL_Y, h: [...SOBEL_Y.h], v: [...SOBEL_Y.v] };
  if (k.sobel === "magnitude") return { kind: "magnitude" };
  if (k.laplacian) {
    return {
      kind: "direct",
      m: [
        [0, 1, 0],
        [1, -4, 1],
        [0, 1, 0],
      ],
    };
  }
  const m = k.matrix!;
  const total = m.flat().reduce((a, b) => a + b, 0);
  return { kind: "direct", m: k.normalize && total !== 0 ? m.map((r) => r.map((v) => v / total)) : m };
}

/**
 * One output pixel, as a correlation summed in the documented order: separable kernels across each
 * kernel row (from +0, zero weights skipped) and then down those row sums; matrices row by row.
 */
export function refPixel(
  img: Image,
  band: number,
  border: Border,
  k: RefKernel,
  x: number,
  y: number,
): number {
  const at = (dx: number, dy: number) => sampleAt(img, band, border, x + dx, y + dy);
  if (k.kind === "magnitude") {
    const gx = refPixel(img, band, border, { ...SOBEL_X, h: [...SOBEL_X.h], v: [...SOBEL_X.v] }, x, y);
    const gy = refPixel(img, band, border, { ...SOBEL_Y, h: [...SOBEL_Y.h], v: [...SOBEL_Y.v] }, x, y);
    return Math.sqrt(gx * gx + gy * gy);
  }
  if (k.kind === "separable") {
    const r = (k.h.length - 1) / 2;
    let acc = 0;
    for (let i = 0; i < k.v.length; i++) {
      if (k.v[i] === 0) continue;
      let row = 0;
      for (let j = 0; j < k.h.length; j++) if (k.h[j] !== 0) row += k.h[j]! * at(j - r, i - r);
      acc += k.v[i]! * row;
    }
    return acc;
  }
  const ry = (k.m.length - 1) / 2;
  const rx = (k.m[0]!.length - 1) / 2;
  let acc = 0;
  for (let i = 0; i < k.m.length; i++) {
    for (let j = 0; j < k.m[0]!.length; j++) if (k.m[i]![j] !== 0) acc += k.m[i]![j]! * at(j - rx, i - ry);
  }
  return acc;
}

/** The reference over the whole image, stored as `dataType` (floats only: the typed array rounds). */
export function refImage(img: Image, params: ConvolveParams, band = 0): TypedArray {
  const k = refKernel(params.kernel);
  const { width, height } = img.grid;
  const out = typedArrayFor(params.dataType, width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) out[y * width + x] = refPixel(img, band, params.border, k, x, y);
  }
  return out;
}

/** The kernel as one 2-D matrix (outer product for separable ones), for the nodata semantics. */
export function matrixOf(k: Kernel): number[][] {
  const r = refKernel(k);
  if (r.kind === "direct") return r.m;
  if (r.kind === "separable") return r.v.map((a) => r.h.map((b) => a * b));
  throw new Error("magnitude has no single matrix");
}
