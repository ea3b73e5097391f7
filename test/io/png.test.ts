import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { encodePng, type PngChannels, type PngImage } from "../../worker/io/png/encode.ts";
import { hasGdal, readWithGdal } from "../helpers/gdal.ts";
import { decodePng } from "../helpers/png-decode.ts";

/** Smooth gradients (Sub/Up/Paeth territory) with a little deterministic texture. */
function gradientImage(width: number, height: number, channels: PngChannels): PngImage {
  const pixels = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < channels; c++)
        pixels[(y * width + x) * channels + c] = (x * (c + 1) + y * 3 + ((x * y) % 5)) & 255;
  return { width, height, channels, pixels };
}

describe("encodePng", () => {
  const cases: [string, PngImage][] = [
    ["1x1 grey", gradientImage(1, 1, 1)],
    ["7x5 grey+alpha", gradientImage(7, 5, 2)],
    ["64x33 RGB", gradientImage(64, 33, 3)],
    ["33x64 RGBA", gradientImage(33, 64, 4)],
  ];
  test.each(cases)("%s decodes (inflate + unfilter) to the same pixels", (_, image) => {
    const png = decodePng(encodePng(image, { text: { Software: "imagechain" } }));
    expect([png.width, png.height, png.channels]).toEqual([image.width, image.height, image.channels]);
    expect(Buffer.from(png.pixels).equals(Buffer.from(image.pixels))).toBe(true);
    expect(png.chunks).toEqual(["IHDR", "tEXt", "IDAT", "IEND"]);
    expect(png.text).toEqual({ Software: "imagechain" });
  });

  test("the per-row heuristic picks Up for a repeated row, Sub for a horizontal ramp, None for the first row of noise", () => {
    const width = 64;
    const pixels = new Uint8Array(width * 3);
    for (let x = 0; x < width; x++) {
      pixels[x] = (x * 97 + 13) & 255; // pseudo-random row: no predictor helps
      pixels[width + x] = pixels[x]!; // the same again: Up gives zeros
      pixels[2 * width + x] = x * 2; // a ramp: Sub gives 2s
    }
    expect(decodePng(encodePng({ width, height: 3, channels: 1, pixels })).filters).toEqual([0, 2, 1]);
  });

  test("filter 'none' stores every row unfiltered and still round-trips", () => {
    const image = gradientImage(40, 30, 3);
    const png = decodePng(encodePng(image, { filter: "none" }));
    expect(new Set(png.filters)).toEqual(new Set([0]));
    expect(Buffer.from(png.pixels).equals(Buffer.from(image.pixels))).toBe(true);
  });

  test("a stream over 1 MiB is split into several IDAT chunks that decode as one", () => {
    const image = gradientImage(700, 700, 3);
    let s = 1;
    for (let i = 0; i < image.pixels.length; i++) {
      // xorshift32: noise that deflate cannot shrink
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      image.pixels[i] = s & 255;
    }
    const png = decodePng(encodePng(image));
    expect(png.chunks.filter((c) => c === "IDAT").length).toBeGreaterThan(1);
    expect(Buffer.from(png.pixels).equals(Buffer.from(image.pixels))).toBe(true);
  });

  test("the same image gives the same bytes", () => {
    const image = gradientImage(50, 20, 4);
    expect(Buffer.from(encodePng(image)).equals(Buffer.from(encodePng(gradientImage(50, 20, 4))))).toBe(true);
  });

  test("any image round-trips (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 24 }),
        fc.integer({ min: 1, max: 24 }),
        fc.constantFrom<PngChannels>(1, 2, 3, 4),
        fc.infiniteStream(fc.integer({ min: 0, max: 255 })),
        (width, height, channels, stream) => {
          const pixels = Uint8Array.from(stream.take(width * height * channels));
          const png = decodePng(encodePng({ width, height, channels, pixels }));
          expect(Buffer.from(png.pixels).equals(Buffer.from(pixels))).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  test.each([
    ["a size of 0", { width: 0, height: 1, channels: 1, pixels: new Uint8Array(0) }, /size/],
    ["too few bytes", { width: 2, height: 2, channels: 3, pixels: new Uint8Array(11) }, /needs 12 bytes/],
    ["5 channels", { width: 1, height: 1, channels: 5, pixels: new Uint8Array(5) }, /channels/],
  ])("rejects %s", (_, image, message) => {
    expect(() => encodePng(image as PngImage)).toThrow(message);
  });

  test.each([
    ["", "x"],
    [" lead", "x"],
    ["a".repeat(80), "x"],
    ["Title", "snow ☃"],
    ["Title", "a\0b"],
  ])("rejects tEXt %j = %j", (keyword, value) => {
    expect(() => encodePng(gradientImage(2, 2, 1), { text: { [keyword]: value } })).toThrow(RangeError);
  });
});

describe.skipIf(!hasGdal && !process.env.CI)("GDAL reads the PNGs", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "imagechain-png-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test.each([1, 2, 3, 4] as const)("%i channel(s): every sample as written", async (channels) => {
    const image = gradientImage(37, 23, channels);
    const path = join(dir, `c${channels}.png`);
    await writeFile(path, encodePng(image, { text: { Software: "imagechain" } }));
    const gdal = await readWithGdal(path);
    expect([gdal.width, gdal.height, gdal.bands.length, gdal.dataType]).toEqual([37, 23, channels, "uint8"]);
    for (let c = 0; c < channels; c++) {
      const expected = Uint8Array.from({ length: 37 * 23 }, (_, i) => image.pixels[i * channels + c]!);
      expect(Buffer.from(gdal.bands[c]!.buffer).equals(Buffer.from(expected))).toBe(true);
    }
  });
});
