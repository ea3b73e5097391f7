import { describe, expect, it } from "vitest";
import type { TypedArray } from "../../worker/io/raster.ts";
import type { Downsample } from "../../worker/io/tiff/overview.ts";
import { downsample2x } from "../../worker/io/tiff/overview.ts";
import { pyramidLevels } from "../../worker/io/tiff/cog-spec.ts";

/** A 4x4 single-band tile (stride 4) → 2x2 quarter. */
function run(
  src: number[],
  k: Partial<Downsample>,
  valid: [number, number] = [4, 4],
  type: Int16ArrayConstructor | Float32ArrayConstructor = Int16Array,
): number[] {
  const dst: TypedArray = new type(4);
  const kernel: Downsample = {
    resampling: "average",
    integer: true,
    nodata: null,
    fill: 0,
    ...k,
  };
  downsample2x(new type(src), 4, valid[0], valid[1], dst, 2, kernel);
  return Array.from(dst);
}

describe("overview kernel (2x2 → 1)", () => {
  const cases: {
    name: string;
    src: number[];
    k: Partial<Downsample>;
    valid?: [number, number];
    want: number[];
    f32?: boolean;
  }[] = [
    {
      name: "average rounds half up for positives",
      src: [1, 2, 9, 9, 1, 2, 9, 9, 0, 0, 4, 4, 0, 1, 4, 4],
      k: {},
      want: [2, 9, 0, 4],
    },
    {
      name: "average rounds half away from zero for negatives",
      src: [-1, -2, 0, 0, -1, -2, 0, 0, -3, -3, 0, 0, -3, -4, 0, 0],
      k: {},
      want: [-2, 0, -3, 0],
    },
    {
      name: "nodata pixels are excluded",
      src: [-9, 4, 7, 7, -9, 5, 7, 7, -9, -9, 7, 7, -9, -9, 7, 7],
      k: { nodata: -9 },
      want: [5, 7, -9, 7],
    },
    {
      name: "edge blocks use only in-image pixels; outside is fill",
      src: [2, 4, 6, 100, 2, 4, 6, 100, 8, 8, 9, 100, 100, 100, 100, 100],
      k: { fill: -1 },
      valid: [3, 3],
      want: [3, 6, 8, 9],
    },
    {
      name: "nearest takes the top-left pixel",
      src: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16],
      k: { resampling: "nearest" },
      valid: [3, 3],
      want: [1, 3, 9, 11],
    },
    {
      name: "floats keep fractions; NaN nodata is skipped",
      src: [1, 2, NaN, NaN, 2, 2, NaN, NaN, 0.5, 0, 1, 1, 0, 0, 1, 1],
      k: { integer: false, nodata: NaN },
      want: [1.75, NaN, 0.125, 1],
      f32: true,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(run(c.src, c.k, c.valid, c.f32 ? Float32Array : Int16Array)).toEqual(c.want);
    });
  }

  it("reads and writes rows of the given strides (a clipped block into part of a quarter)", () => {
    // 3x3 valid pixels in rows of 3 → 2x2 output pixels in rows of 4 (the rest fill)
    const src = new Uint16Array([1, 3, 10, 5, 7, 20, 100, 200, 30]);
    const dst = new Uint16Array(8);
    downsample2x(src, 3, 3, 3, dst, 4, { resampling: "average", integer: true, nodata: null, fill: 9 });
    expect(Array.from(dst)).toEqual([4, 15, 9, 9, 150, 30, 9, 9]);
  });
});

describe("pyramid levels", () => {
  it("halves with ceil until one tile holds the level, as GDAL's COG driver does", () => {
    expect(pyramidLevels(1000, 700, 256, "auto").map((l) => [l.width, l.height, l.tilesX, l.tilesY])).toEqual(
      [
        [1000, 700, 4, 3],
        [500, 350, 2, 2],
        [250, 175, 1, 1],
      ],
    );
    expect(pyramidLevels(512, 100, 512, "auto")).toHaveLength(1);
    expect(pyramidLevels(513, 1, 512, "auto").map((l) => l.width)).toEqual([513, 257]);
    expect(pyramidLevels(5000, 5000, 512, "none")).toHaveLength(1);
  });
});
