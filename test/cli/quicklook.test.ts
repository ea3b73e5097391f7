import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { imagechain } from "../helpers/cli.ts";
import { decodePng } from "../helpers/png-decode.ts";
import { writeFixtureCog } from "../helpers/raster-fixtures.ts";

let dir: string;
let input: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "imagechain-quicklook-cli-"));
  input = join(dir, "ndvi.tif");
  // An NDVI-like float32 band from -1 to 1 with a nodata corner.
  await writeFixtureCog(input, {
    width: 200,
    height: 100,
    dataType: "float32",
    nodata: -9999,
    bands: [(x, y) => (x < 4 && y < 4 ? -9999 : x / 100 - 1)],
  });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("imagechain quicklook", () => {
  test("writes a colour-mapped PNG, exit 0; a negative --range is taken as a value", async () => {
    const out = join(dir, "ndvi.png");
    const r = await imagechain(["quicklook", input, out, "--colormap", "rdylgn", "--range", "-1,1"]);
    expect(r.stderr).toContain(`wrote ${out} (200x100 from level 0, bands 1, range -1..1`);
    expect(r.code).toBe(0);
    const png = decodePng(await readFile(out));
    expect([png.width, png.height, png.channels]).toEqual([200, 100, 4]);
    expect([...png.pixels.subarray(0, 4)]).toEqual([0, 0, 0, 0]); // nodata
    const at = (x: number, y: number) => [...png.pixels.subarray(4 * (y * 200 + x), 4 * (y * 200 + x + 1))];
    expect(at(0, 50)).toEqual([0xa5, 0x00, 0x26, 255]); // -1: the low end of rdylgn
  });

  const cases: [string, string[], RegExp][] = [
    ["a missing input", ["quicklook", "/nonexistent/in.tif", "OUT"], /nonexistent\/in\.tif/],
    [
      "--range min > max",
      ["quicklook", "IN", "OUT", "--range", "5,1"],
      /--range takes min,max with min < max, not '5,1'/,
    ],
    [
      "--range not numbers",
      ["quicklook", "IN", "OUT", "--range", "a,b"],
      /--range takes comma-separated numbers/,
    ],
    [
      "--bands out of range",
      ["quicklook", "IN", "OUT", "--bands", "9"],
      /bands: band 9 does not exist \(the raster has 1 band\)/,
    ],
    [
      "--colormap unknown",
      ["quicklook", "IN", "OUT", "--colormap", "jet"],
      /colormap must be one of viridis, rdylgn, grey/,
    ],
    ["--size not a number", ["quicklook", "IN", "OUT", "--size", "big"], /--size must be an integer/],
    ["an unknown option", ["quicklook", "IN", "OUT", "--bogus"], /Unknown option '--bogus'/],
    ["one positional", ["quicklook", "IN"], /quicklook takes an input and an output/],
  ];
  test.each(cases)("%s: exit 2, one message naming it, nothing written", async (_, args, message) => {
    const before = await readdir(dir);
    const out = join(dir, "never.png");
    const r = await imagechain(args.map((a) => (a === "IN" ? input : a === "OUT" ? out : a)));
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toContain("internal error");
    expect(r.code).toBe(2);
    expect(existsSync(out)).toBe(false);
    expect(await readdir(dir)).toEqual(before);
  });
});
