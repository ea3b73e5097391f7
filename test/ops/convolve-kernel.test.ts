import { describe, expect, it } from "vitest";
import { convolve } from "../../worker/ops/convolve.ts";
import {
  bytesOf,
  image,
  matrixOf,
  noise,
  outputGridOf,
  parse,
  refImage,
  runTile,
  runTiled,
  sampleAt,
  whole,
  type Image,
} from "./convolve-reference.ts";

const KERNELS: [string, Record<string, unknown>][] = [
  ["gaussian sigma 1.5 (radius 5)", { gaussian: { sigma: 1.5 } }],
  ["gaussian sigma 0.4 (radius 2)", { gaussian: { sigma: 0.4 } }],
  ["box 5", { box: { size: 5 } }],
  ["sobel x", { sobel: "x" }],
  ["sobel y", { sobel: "y" }],
  ["sobel magnitude", { sobel: "magnitude" }],
  ["laplacian", { laplacian: {} }],
  [
    "matrix 3x5, asymmetric",
    {
      matrix: [
        [0.5, -1, 0, 2, 0.25],
        [1, 3, -2, 0, 0.125],
        [0, 0, 1, -0.5, 7],
      ],
    },
  ],
  [
    "matrix normalized",
    {
      matrix: [
        [1, 2, 1],
        [2, 5, 2],
        [1, 2, 3],
      ],
      normalize: true,
    },
  ],
];
const BORDERS: [string, unknown][] = [
  ["reflect", "reflect"],
  ["edge", "edge"],
  ["constant", { constant: 7.5 }],
];

const scene = image(23, 17, "float32", noise(1));

describe("convolve kernel: each kernel and border against a pixel-by-pixel reference", () => {
  for (const [kname, kernel] of KERNELS) {
    for (const [bname, border] of BORDERS) {
      it(`${kname}, ${bname}: float32 and float64 equal bit for bit`, () => {
        for (const dataType of ["float32", "float64"]) {
          const params = parse({ kernel, border, dataType });
          expect(bytesOf(whole(params, scene).bands[0]!), dataType).toEqual(bytesOf(refImage(scene, params)));
        }
      });
    }
  }

  it("float64 output keeps the float64 sums", () => {
    const params = parse({ kernel: { gaussian: { sigma: 1 } }, dataType: "float64" });
    const out = whole(params, scene).bands[0]!;
    expect(bytesOf(out)).toEqual(bytesOf(refImage(scene, params)));
    expect(out).toBeInstanceOf(Float64Array);
  });
});

describe("convolve kernel: orientation and borders, value by value", () => {
  const ramp = image(6, 5, "float32", (x, y) => 10 * y + x);
  const at = (b: ReturnType<typeof whole>, x: number, y: number) => b.bands[0]![y * 6 + x];

  it("a matrix is a correlation: matrix[0][0] weights the top-left neighbour", () => {
    const params = parse({
      kernel: {
        matrix: [
          [1, 0, 0],
          [0, 0, 0],
          [0, 0, 0],
        ],
      },
    });
    expect(at(whole(params, ramp), 3, 2)).toBe(12); // (2, 1)
  });

  it("sobel follows GDAL/OpenCV signs: x grows to the right, y grows downwards", () => {
    expect(at(whole(parse({ kernel: { sobel: "x" } }), ramp), 2, 2)).toBe(8); // (1 + 2 + 1) * 2
    expect(at(whole(parse({ kernel: { sobel: "y" } }), ramp), 2, 2)).toBe(80);
    expect(at(whole(parse({ kernel: { laplacian: {} } }), ramp), 2, 2)).toBe(0);
  });

  // 5x5 matrices with a single 1 read the pixel (dx, dy) away, 2 pixels beyond every edge and corner
  const shift = (dx: number, dy: number, border: unknown) => {
    const m = Array.from({ length: 5 }, (_, i) =>
      Array.from({ length: 5 }, (_, j) => (i === dy + 2 && j === dx + 2 ? 1 : 0)),
    );
    return whole(parse({ kernel: { matrix: m }, border }), ramp);
  };
  const cases: [string, unknown, [number, number, number, number, number][]][] = [
    // [x, y, dx, dy, expected value]
    [
      "reflect without repeating the edge pixel (OpenCV BORDER_REFLECT_101)",
      "reflect",
      [
        [0, 2, -2, 0, 22], // left: x -2 -> 2
        [0, 2, -1, 0, 21],
        [5, 2, 2, 0, 23], // right: x 7 -> 3
        [5, 2, 1, 0, 24],
        [3, 0, 0, -2, 23], // top: y -2 -> 2
        [3, 4, 0, 2, 23], // bottom: y 6 -> 2
        [0, 0, -2, -2, 22], // corners
        [5, 0, 2, -2, 23],
        [0, 4, -1, 2, 21],
        [5, 4, 2, 1, 33],
      ],
    ],
    [
      "edge repeats the edge pixel",
      "edge",
      [
        [0, 2, -2, 0, 20],
        [5, 2, 2, 0, 25],
        [3, 0, 0, -2, 3],
        [3, 4, 0, 2, 43],
        [0, 0, -2, -2, 0],
        [5, 0, 2, -2, 5],
        [0, 4, -1, 2, 40],
        [5, 4, 2, 1, 45],
      ],
    ],
    [
      "constant outside the image",
      { constant: -3 },
      [
        [0, 2, -2, 0, -3],
        [0, 2, -1, 1, -3],
        [1, 2, -1, 0, 20],
        [5, 2, 1, 0, -3],
        [3, 0, 0, -1, -3],
        [3, 4, 0, 1, -3],
        [3, 3, 0, 1, 43],
        [0, 0, -2, -2, -3],
        [5, 4, 2, 2, -3],
      ],
    ],
  ];
  for (const [name, border, points] of cases) {
    it(name, () => {
      for (const [x, y, dx, dy, expected] of points) {
        expect(at(shift(dx, dy, border), x, y), `(${x}, ${y}) reading (${x + dx}, ${y + dy})`).toBe(expected);
      }
    });
  }

  it("a kernel larger than the image folds the border again", () => {
    const tiny = image(3, 2, "float32", noise(7));
    for (const [, border] of BORDERS) {
      const params = parse({ kernel: { gaussian: { sigma: 2 } }, border }); // radius 6
      expect(bytesOf(whole(params, tiny).bands[0]!)).toEqual(bytesOf(refImage(tiny, params)));
    }
    // reflect of 3 pixels a b c: ... b c b | a b c | b a b c ...
    expect([-5, -4, -3, -2, -1, 3, 4, 5, 6].map((x) => sampleAt(tiny, 0, "reflect", x, 0))).toEqual(
      [1, 0, 1, 2, 1, 1, 0, 1, 2].map((x) => tiny.block.bands[0]![x]),
    );
    const one = image(1, 4, "float32", (_, y) => y);
    const params = parse({ kernel: { box: { size: 7 } } });
    expect(bytesOf(whole(params, one).bands[0]!)).toEqual(bytesOf(refImage(one, params)));
  });
});

describe("convolve kernel: tiles", () => {
  const big = image(100, 70, "float32", noise(3));
  const tiled: [string, Record<string, unknown>, unknown][] = [
    ["gaussian sigma 1.5, reflect", { gaussian: { sigma: 1.5 } }, "reflect"],
    ["box 7, edge", { box: { size: 7 } }, "edge"],
    ["sobel magnitude, constant", { sobel: "magnitude" }, { constant: 1 }],
    ["laplacian, reflect", { laplacian: {} }, "reflect"],
    [
      "matrix 3x5, edge",
      {
        matrix: [
          [1, 2, 3, 4, 5],
          [0, 1, 0, 1, 0],
          [-1, -2, -3, -4, -5],
        ],
      },
      "edge",
    ],
  ];
  for (const [name, kernel, border] of tiled) {
    it(`${name}: tiles 32, 64 and 17x33 assemble to the whole image bit for bit`, () => {
      const params = parse({ kernel, border });
      const all = bytesOf(whole(params, big).bands[0]!);
      expect(bytesOf(refImage(big, params))).toEqual(all);
      for (const [tw, th] of [
        [32, 32],
        [64, 64],
        [17, 33],
      ]) {
        expect(bytesOf(runTiled(params, big, tw!, th!).bands[0]!), `${tw}x${th}`).toEqual(all);
      }
    });
  }

  it("every band is convolved on its own", () => {
    const rgb = image(40, 30, "int16", (x, y, b) => (b + 1) * ((x * 7 + y * 13) % 50), { bands: 3 });
    const params = parse({ kernel: { gaussian: { sigma: 1 } } });
    const out = runTiled(params, rgb, 16, 16);
    expect(out.bands).toHaveLength(3);
    out.bands.forEach((band, b) => expect(bytesOf(band)).toEqual(bytesOf(refImage(rgb, params, b))));
  });
});

const ND = -9999;
const texture = noise(5);

/** The nodata rules from their definition, one 2-D sum per pixel; null for nodata. */
function nodataReference(img: Image, kernel: Record<string, unknown>, x: number, y: number): number | null {
  if (kernel["sobel"] === "magnitude") {
    const gx = nodataReference(img, { sobel: "x" }, x, y);
    const gy = nodataReference(img, { sobel: "y" }, x, y);
    return gx === null || gy === null ? null : Math.sqrt(gx * gx + gy * gy);
  }
  const params = parse({ kernel });
  const m = matrixOf(params.kernel);
  const ry = (m.length - 1) / 2;
  const rx = (m[0]!.length - 1) / 2;
  const centre = sampleAt(img, 0, params.border, x, y);
  if (centre === ND) return null;
  const total = m.flat().reduce((a, b) => a + b, 0);
  let num = 0;
  let den = 0;
  for (let i = 0; i < m.length; i++) {
    for (let j = 0; j < m[0]!.length; j++) {
      const v = sampleAt(img, 0, params.border, x + j - rx, y + i - ry);
      const valid = v !== ND;
      if (Math.abs(total) < 1e-12) num += m[i]![j]! * (valid ? v : centre);
      else if (valid) {
        num += m[i]![j]! * v;
        den += m[i]![j]!;
      }
    }
  }
  if (Math.abs(total) < 1e-12) return num;
  return den === 0 ? null : (num * total) / den;
}

describe("convolve kernel: nodata", () => {
  // nodata in blobs, along an edge and in one corner, so that some tiles have none
  const holes = image(
    60,
    45,
    "float32",
    (x, y) =>
      (x - 20) ** 2 + (y - 12) ** 2 < 20 || x === 59 || (x < 3 && y > 40) || ((x + y) % 29 === 0 && y < 10)
        ? ND
        : texture(x, y),
    { nodata: ND },
  );
  const kernels: [string, Record<string, unknown>][] = [
    ["gaussian sigma 1", { gaussian: { sigma: 1 } }],
    ["box 3", { box: { size: 3 } }],
    ["sobel x", { sobel: "x" }],
    ["sobel magnitude", { sobel: "magnitude" }],
    ["laplacian", { laplacian: {} }],
    [
      "matrix, not separable",
      {
        matrix: [
          [1, 2, 0],
          [0, 1, 3],
          [1, 0, 1],
        ],
      },
    ],
  ];
  for (const [name, kernel] of kernels) {
    it(`${name}: smoothing renormalises, zero-sum reads the centre, nodata centres stay nodata`, () => {
      const params = parse({ kernel, dataType: "float64" });
      const out = whole(params, holes).bands[0]!;
      for (let y = 0; y < 45; y++) {
        for (let x = 0; x < 60; x++) {
          const expected = nodataReference(holes, kernel, x, y);
          const got = out[y * 60 + x]!;
          if (expected === null) expect(got, `(${x}, ${y})`).toBe(ND);
          else
            expect(Math.abs(got - expected), `(${x}, ${y}): ${got} vs ${expected}`).toBeLessThan(
              1e-9 * (1 + Math.abs(expected)),
            );
        }
      }
    });

    it(`${name}: tiles with and without nodata (few or many pixels near it) assemble to the whole image bit for bit`, () => {
      const params = parse({ kernel, dataType: "float64" }); // float32 would hide a last-bit difference;
      const all = bytesOf(whole(params, holes).bands[0]!);
      for (const t of [16, 25])
        expect(bytesOf(runTiled(params, holes, t, t).bands[0]!), `tile ${t}`).toEqual(all);
    });
  }

  it("away from nodata the result is the one without nodata, bit for bit", () => {
    const params = parse({ kernel: { gaussian: { sigma: 1.5 } } }); // radius 5
    const clean = image(60, 45, "float32", texture);
    const holed = image(60, 45, "float32", (x, y) => (x === 30 && y === 20 ? ND : texture(x, y)), {
      nodata: ND,
    });
    const plain = whole(params, clean).bands[0]!;
    const masked = whole(params, holed).bands[0]!;
    let compared = 0;
    for (let y = 0; y < 45; y++) {
      for (let x = 0; x < 60; x++) {
        if (Math.abs(x - 30) <= 5 && Math.abs(y - 20) <= 5) continue;
        expect(Object.is(masked[y * 60 + x], plain[y * 60 + x]), `(${x}, ${y})`).toBe(true);
        compared++;
      }
    }
    expect(compared).toBe(60 * 45 - 121);
    expect(masked[20 * 60 + 31]).not.toBe(plain[20 * 60 + 31]);
  });

  it("no valid weight left gives nodata; the output nodata is params.nodata, else the input's", () => {
    const img = image(3, 1, "float32", (x) => (x === 1 ? 5 : ND), { nodata: ND });
    const m = { matrix: [[1, 0, 1]] };
    expect([...whole(parse({ kernel: m, border: "edge" }), img).bands[0]!]).toEqual([ND, ND, ND]);
    const params = parse({ kernel: { box: { size: 3 } }, nodata: -1 });
    expect(outputGridOf(params, img).nodata).toBe(-1);
    expect([...whole(params, img).bands[0]!]).toEqual([-1, 5, -1]);
  });

  it("NaN as nodata", () => {
    const img = image(4, 1, "float32", (x) => (x === 2 ? NaN : x + 1), { nodata: NaN });
    const out = whole(parse({ kernel: { matrix: [[1, 1, 1]] }, border: "edge" }), img).bands[0]!;
    // x=0: 1 + 1 + 2 (edge), x=1: (1 + 2) * 3 / 2, x=2: nodata, x=3: (4 + 4) * 3 / 2
    expect([...out]).toEqual([4, 4.5, NaN, 12]);
  });

  it("integer input with nodata 0 (Sentinel-2 style) into the same type", () => {
    const img = image(40, 30, "uint16", (x, y) => (x < 6 || (x === 20 && y === 15) ? 0 : 1000 + x * 10 + y), {
      nodata: 0,
    });
    const params = parse({ kernel: { box: { size: 3 } }, dataType: "uint16" });
    expect(outputGridOf(params, img).nodata).toBe(0);
    const out = whole(params, img).bands[0]!;
    expect(bytesOf(runTiled(params, img, 16, 8).bands[0]!)).toEqual(bytesOf(out));
    expect(out[15 * 40 + 20]).toBe(0);
    expect(out[10 * 40 + 3]).toBe(0);
    // (21, 15), next to the hole at (20, 15): the mean of its 8 valid neighbours, (11025 - 1215) / 8
    expect(out[15 * 40 + 21]).toBe(1226);
    // (6, 10), next to the nodata columns: the mean of columns 6 and 7, rows 9 to 11
    expect(out[10 * 40 + 6]).toBe(1075);
  });

  it("a NaN that is not nodata stays NaN, near nodata or not", () => {
    const values = [1, NaN, 3, ND, 5, 6, 7];
    const img = image(7, 1, "float32", (x) => values[x]!, { nodata: ND });
    const out = whole(parse({ kernel: { matrix: [[1, 1, 1]] }, border: "edge" }), img).bands[0]!;
    expect([...out]).toEqual([NaN, NaN, NaN, ND, 16.5, 18, 20]);
  });

  it("an output type that cannot hold the input's nodata is a planning issue", () => {
    const img = image(4, 4, "float32", () => 1, { nodata: ND });
    const issue = convolve.outputGrid(
      parse({ kernel: { laplacian: {} }, dataType: "uint8" }),
      new Map([["im", img.grid]]),
    );
    expect(issue).toMatchObject({ code: "nodata-range", path: "params.dataType" });
    const fixed = convolve.outputGrid(
      parse({ kernel: { laplacian: {} }, dataType: "uint8", nodata: 255 }),
      new Map([["im", img.grid]]),
    );
    expect(fixed).toMatchObject({ dataType: "uint8", nodata: 255 });
  });
});

describe("convolve kernel: integer outputs", () => {
  it("round half away from zero and saturate", () => {
    const values = [-3, -1, 1, 3, 5, 600, -600, 0];
    const img = image(values.length, 1, "int16", (x) => values[x]!);
    const half = { kernel: { matrix: [[0.5]] } };
    expect([...whole(parse({ ...half, dataType: "int16" }), img).bands[0]!]).toEqual([
      -2, -1, 1, 2, 3, 300, -300, 0,
    ]);
    expect([...whole(parse({ ...half, dataType: "uint8" }), img).bands[0]!]).toEqual([
      0, 0, 1, 2, 3, 255, 0, 0,
    ]);
    expect([...whole(parse({ ...half, dataType: "int8" }), img).bands[0]!]).toEqual([
      -2, -1, 1, 2, 3, 127, -128, 0,
    ]);
  });

  it("match the reference rounded, through tiles", () => {
    const img = image(50, 40, "uint16", (x, y) => (x * 977 + y * 331) % 4000);
    const params = parse({ kernel: { gaussian: { sigma: 1.2 } }, dataType: "uint16" });
    const ref = refImage(img, { ...params, dataType: "float64" });
    const expected = Uint16Array.from(ref, (v) => Math.round(v));
    expect([...runTiled(params, img, 16, 16).bands[0]!]).toEqual([...expected]);
  });

  it("NaN becomes the output nodata, or 0 without one", () => {
    const img = image(3, 1, "float32", (x) => (x === 1 ? NaN : 4));
    const k = { kernel: { matrix: [[1]] }, dataType: "uint8" };
    expect([...whole(parse(k), img).bands[0]!]).toEqual([4, 0, 4]);
    expect([...whole(parse({ ...k, nodata: 9 }), img).bands[0]!]).toEqual([4, 9, 4]);
  });
});

describe("convolve kernel: the runner's contract", () => {
  it("a tile away from the image edge reads only its halo", () => {
    const img = image(40, 40, "float32", noise(11));
    const params = parse({ kernel: { gaussian: { sigma: 1.5 } } });
    const tile = runTile(params, img, { x: 12, y: 9, width: 10, height: 7 });
    const all = whole(params, img).bands[0]!;
    for (let y = 0; y < 7; y++) {
      expect(bytesOf(tile.bands[0]!.subarray(y * 10, y * 10 + 10))).toEqual(
        bytesOf(all.subarray((9 + y) * 40 + 12, (9 + y) * 40 + 22)),
      );
    }
  });

  it("a block that does not cover the halo is an error naming the missing column", () => {
    const img = image(40, 40, "float32", noise(12));
    const params = parse({ kernel: { gaussian: { sigma: 1.5 } } });
    const window = { x: 0, y: 0, width: 20, height: 20 }; // radius 5 needs columns up to 24
    const block = { width: 20, height: 20, dataType: "float32" as const, bands: [new Float32Array(400)] };
    const call = () =>
      convolve.kernel(params, new Map([["im", { block, window, grid: img.grid }]]), {
        window: { x: 0, y: 0, width: 20, height: 20 },
        grid: outputGridOf(params, img),
      });
    expect(call).toThrow("input column 20 (read for 20) is outside the block's columns [0, 20)");
  });
});
