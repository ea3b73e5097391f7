import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cropBlock, type Block, type Window } from "../../../worker/io/raster.ts";
import { footprintRegion } from "../../../worker/ops/footprint.ts";
import type { Grid } from "../../../worker/ops/grid.ts";
import type { KernelInput } from "../../../worker/ops/kernel.ts";
import type { OpDefinition } from "../../../worker/ops/op.ts";
import { ortho, reproject } from "../../../worker/ops/ortho.ts";
import { heightBlendedPositions } from "../../../worker/ops/warp/height-blend.ts";
import { syntheticRpc } from "./rpc-fixtures.ts";

/**
 * Footprints are checked by what they are for: a kernel fed only the declared regions of its inputs
 * must give exactly the pixels it gives when fed the whole inputs. Any pixel read outside a region
 * (the sampler treats the block's edge as the raster's) changes the result, since the image has
 * texture and noise everywhere.
 */

function texture(width: number, height: number, seed: number): Block {
  const a = new Uint16Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const noise = (Math.imul(x * 73856093 + seed, y * 19349663 + 1) >>> 16) & 1023;
      a[y * width + x] = 20000 + Math.round(8000 * Math.sin(x / 11) * Math.cos(y / 17)) + noise;
    }
  }
  return { width, height, dataType: "uint16", bands: [a] };
}

function demBlock(width: number, height: number): Block {
  const a = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++)
      a[y * width + x] = 260 + 160 * Math.sin(x / 9) * Math.cos(y / 13) + 90 * Math.sin((x + 2 * y) / 23);
  }
  return { width, height, dataType: "float32", bands: [a] };
}

const SIZE = 300;
const rpc = syntheticRpc(SIZE);
const imageGrid: Grid = {
  width: SIZE,
  height: SIZE,
  bands: 1,
  dataType: "uint16",
  geoTransform: null,
  crs: null,
  nodata: null,
  rpc,
};
const image = texture(SIZE, SIZE, 5);
const demGrid: Grid = {
  width: 80,
  height: 60,
  bands: 1,
  dataType: "float32",
  geoTransform: [1.42, 0.0005, 0, 43.615, 0, -0.0005],
  crs: { epsg: 4326, wkt: null },
  nodata: null,
};
const dem = demBlock(80, 60);
const utmGrid: Grid = {
  width: SIZE,
  height: SIZE,
  bands: 1,
  dataType: "uint16",
  geoTransform: [373000, 5, 0, 4830000, 0, -5],
  crs: { epsg: 32631, wkt: null },
  nodata: 0,
};

const full = (g: Grid): Window => ({ x: 0, y: 0, width: g.width, height: g.height });

function run<P>(
  op: OpDefinition<P>,
  params: unknown,
  sources: Record<string, { grid: Grid; block: Block }>,
  tile: Window,
  useFootprints: boolean,
): { out: Block; regions: Record<string, Window | null> } {
  const p = op.params.parse(params);
  const grid = op.outputGrid(p, new Map(Object.entries(sources).map(([k, v]) => [k, v.grid]))) as Grid;
  const inputs = new Map<string, KernelInput>();
  const regions: Record<string, Window | null> = {};
  for (const [alias, s] of Object.entries(sources)) {
    const region = useFootprints
      ? footprintRegion(op.footprint(p, alias, s.grid, grid), tile, s.grid.width, s.grid.height)
      : full(s.grid);
    regions[alias] = region;
    if (region === null) continue;
    const block = cropBlock(s.block, region.x, region.y, region.width, region.height);
    inputs.set(alias, { block, window: region, grid: s.grid });
  }
  return { out: op.kernel(p, inputs, { window: tile, grid }), regions };
}

const BOUNDS = [373370, 4827909, 374810, 4829349];
const tileArb = (w: number, h: number, max = 128) =>
  fc
    .record({
      x: fc.integer({ min: 0, max: w - 1 }),
      y: fc.integer({ min: 0, max: h - 1 }),
      width: fc.integer({ min: 1, max }),
      height: fc.integer({ min: 1, max }),
    })
    .map((t) => ({ ...t, width: Math.min(t.width, w - t.x), height: Math.min(t.height, h - t.y) }));
const method = fc.constantFrom("nearest", "bilinear", "cubic");

describe("ortho / reproject footprints", () => {
  it("property: ortho over a DEM reads only inside its declared regions", () => {
    fc.assert(
      fc.property(tileArb(480, 480), method, fc.constantFrom(0.125, 0.5), (tile, resampling, maxError) => {
        const params = { crs: "EPSG:32631", resolution: 3, bounds: BOUNDS, resampling, maxError };
        const sources = { image: { grid: imageGrid, block: image }, dem: { grid: demGrid, block: dem } };
        const a = run(ortho, params, sources, tile, true);
        const b = run(ortho, params, sources, tile, false);
        expect(a.out.bands[0]).toEqual(b.out.bands[0]);
      }),
      { numRuns: 60 },
    );
  });

  it("property: so does ortho over a DEM through a model far from quadratic in height (full mapping)", () => {
    // a strong H³ term: over a large tile's height range the check rejects the height interpolation, and
    // the kernel approximates the full mapping (small tiles, with less relief, still interpolate)
    const cubic = { ...rpc, sampNumCoeff: rpc.sampNumCoeff.map((v, i) => (i === 19 ? 0.5 : v)) };
    const cubicGrid = { ...imageGrid, rpc: cubic };
    const window = { x: 0, y: 0, width: 480, height: 480 };
    const demInput = { block: dem, window: full(demGrid), grid: demGrid };
    const out = {
      ...imageGrid,
      geoTransform: [373370, 3, 0, 4829349, 0, -3],
      crs: { epsg: 32631, wkt: null },
    } as Grid;
    const buffers = (i: number) =>
      [0, 1, 2, 3].map(() => ({ xs: new Float64Array(480 * 480), ys: new Float64Array(480 * 480) }))[i]!;
    expect(heightBlendedPositions(cubic, demInput, 0, out, window, 0.125, buffers)).toBeNull();
    expect(heightBlendedPositions(rpc, demInput, 0, out, window, 0.125, buffers)).not.toBeNull();
    fc.assert(
      fc.property(tileArb(480, 480, 480), method, (tile, resampling) => {
        const params = { crs: "EPSG:32631", resolution: 3, bounds: BOUNDS, resampling };
        const sources = { image: { grid: cubicGrid, block: image }, dem: { grid: demGrid, block: dem } };
        expect(run(ortho, params, sources, tile, true).out.bands[0]).toEqual(
          run(ortho, params, sources, tile, false).out.bands[0],
        );
      }),
      { numRuns: 25 },
    );
  });

  it("property: with heightRange, terrain above the model's fitted range stays inside the region", () => {
    // DEM + 900 m reaches 1000..1420 m; the model is fitted for 250 ± 500 m
    fc.assert(
      fc.property(tileArb(480, 480), method, (tile, resampling) => {
        const params = {
          crs: "EPSG:32631",
          resolution: 3,
          bounds: BOUNDS,
          resampling,
          height: 900,
          heightRange: [950, 1450],
        };
        const sources = { image: { grid: imageGrid, block: image }, dem: { grid: demGrid, block: dem } };
        expect(run(ortho, params, sources, tile, true).out.bands[0]).toEqual(
          run(ortho, params, sources, tile, false).out.bands[0],
        );
      }),
      { numRuns: 25 },
    );
  });

  it("property: downsampling (stretched kernels) reads only inside the grown regions", () => {
    const fraction = fc.double({ min: 0, max: 0.999, noNaN: true });
    /** A tile placed by fractions of the grid, so that every run lands inside it. */
    const place = (g: Grid, [fx, fy, fw, fh]: number[]) => {
      const x = Math.floor(fx! * g.width);
      const y = Math.floor(fy! * g.height);
      return {
        x,
        y,
        width: 1 + Math.floor(fw! * (g.width - x)),
        height: 1 + Math.floor(fh! * (g.height - y)),
      };
    };
    fc.assert(
      fc.property(
        fc.tuple(fraction, fraction, fraction, fraction),
        fc.constantFrom("bilinear", "cubic"),
        fc.constantFrom(12, 25),
        (fractions, resampling, resolution) => {
          const params = { crs: "EPSG:32631", resolution, bounds: BOUNDS, resampling };
          const sources = { image: { grid: imageGrid, block: image }, dem: { grid: demGrid, block: dem } };
          const grid = ortho.outputGrid(ortho.params.parse(params), new Map([["image", imageGrid]])) as Grid;
          const tile = place(grid, fractions);
          expect(run(ortho, params, sources, tile, true).out.bands[0]).toEqual(
            run(ortho, params, sources, tile, false).out.bands[0],
          );
          const r = {
            crs: "EPSG:3857",
            resolution: resolution * 1.4,
            bounds: [157000, 5402000, 159400, 5404400],
            resampling,
          };
          const utm = { image: { grid: utmGrid, block: image } };
          const rg = reproject.outputGrid(reproject.params.parse(r), new Map([["image", utmGrid]])) as Grid;
          const rt = place(rg, fractions);
          expect(run(reproject, r, utm, rt, true).out.bands[0]).toEqual(
            run(reproject, r, utm, rt, false).out.bands[0],
          );
        },
      ),
      { numRuns: 40 },
    );
  });

  it("property: ortho at a constant height reads only inside its declared region", () => {
    fc.assert(
      fc.property(tileArb(480, 480), method, fc.constantFrom(0, 250, 900), (tile, resampling, height) => {
        const params = { crs: "EPSG:32631", resolution: 3, bounds: BOUNDS, resampling, height };
        const sources = { image: { grid: imageGrid, block: image } };
        expect(run(ortho, params, sources, tile, true).out.bands[0]).toEqual(
          run(ortho, params, sources, tile, false).out.bands[0],
        );
      }),
      { numRuns: 40 },
    );
  });

  it("property: reproject (UTM 31N → UTM 32N, Web Mercator, WGS 84) reads only inside its declared region", () => {
    const targets = [
      { crs: "EPSG:32632", resolution: 4, bounds: [-115000, 4830000, -113500, 4831600] },
      { crs: "EPSG:3857", resolution: 6, bounds: [157000, 5402000, 159400, 5404400] },
      { crs: "EPSG:4326", resolution: 0.00005, bounds: [1.41, 43.6, 1.43, 43.62] },
    ];
    fc.assert(
      fc.property(tileArb(400, 400), method, fc.constantFrom(...targets), (tile, resampling, target) => {
        const params = { ...target, resampling };
        const sources = { image: { grid: utmGrid, block: image } };
        const a = run(reproject, params, sources, tile, true);
        const grid = reproject.outputGrid(
          reproject.params.parse(params),
          new Map([["image", utmGrid]]),
        ) as Grid;
        if (tile.x + tile.width > grid.width || tile.y + tile.height > grid.height) return;
        expect(a.out.bands[0]).toEqual(run(reproject, params, sources, tile, false).out.bands[0]);
      }),
      { numRuns: 60 },
    );
  });

  it("a 64-pixel ortho tile reads a small part of the image, not all of it", () => {
    const params = { crs: "EPSG:32631", resolution: 3, bounds: BOUNDS, resampling: "cubic" };
    const sources = { image: { grid: imageGrid, block: image }, dem: { grid: demGrid, block: dem } };
    const { regions, out } = run(ortho, params, sources, { x: 192, y: 192, width: 64, height: 64 }, true);
    const r = regions.image!;
    // 64 px of 3 m ≈ 44 image pixels, + the parallax of ±500 m (≈ 12 px) + margins
    expect(r.width * r.height).toBeLessThan(80 * 80);
    expect(r.width * r.height).toBeGreaterThan(40 * 40);
    expect(out.bands[0]!.some((v) => v !== 0)).toBe(true);
  });

  it("a tile beyond the image reads nothing from it and is nodata", () => {
    const params = {
      crs: "EPSG:32631",
      resolution: 3,
      bounds: [373370 - 3000, 4827909, 374810 - 3000, 4829349],
      resampling: "bilinear",
    };
    const sources = { image: { grid: imageGrid, block: image }, dem: { grid: demGrid, block: dem } };
    const { regions, out } = run(ortho, params, sources, { x: 0, y: 0, width: 64, height: 64 }, true);
    expect(regions.image).toBeNull();
    expect(out.bands[0]!.every((v) => v === 0)).toBe(true);
  });
});
