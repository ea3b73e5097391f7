import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openRaster } from "../../worker/io/tiff/reader.ts";
import { hasGdal, makeRasters, readWithGdal } from "../helpers/gdal.ts";

let dir: string;
let server: Server;
let base: string;
let requests = 0;

describe.skipIf(!hasGdal && !process.env.CI)("reading a COG over http(s) with Range requests", () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "imagechain-http-"));
    const file = join(dir, "cog.tif");
    await makeRasters([
      {
        path: file,
        width: 800,
        height: 600,
        bands: 3,
        dataType: "int16",
        driver: "COG",
        options: ["BLOCKSIZE=128"],
      },
    ]);
    const body = await readFile(file);
    server = createServer((req, res) => {
      requests++;
      if (req.url !== "/cog.tif") return res.writeHead(404).end();
      const m = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? "");
      if (!m) return res.writeHead(200).end(body);
      const [a, b] = [Number(m[1]), Math.min(Number(m[2]), body.length - 1)];
      res.writeHead(206, { "content-range": `bytes ${a}-${b}/${body.length}` }).end(body.subarray(a, b + 1));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("pixels equal GDAL's; the whole image takes a few requests", async () => {
    const reader = await openRaster(`${base}/cog.tif`);
    expect(reader.info.cog.valid).toBe(true);
    requests = 0;
    const got = await reader.readWindow({ x: 0, y: 0, width: 800, height: 600 });
    expect(requests).toBeLessThanOrEqual(2);
    const want = await readWithGdal(join(dir, "cog.tif"));
    got.bands.forEach((band, i) => expect(Array.from(band)).toEqual(Array.from(want.bands[i]!)));
    await reader.close();
  });

  test("a missing URL is not-found, naming it", async () => {
    await expect(openRaster(`${base}/missing.tif`)).rejects.toMatchObject({
      code: "not-found",
      message: expect.stringContaining(`${base}/missing.tif`),
    });
  });
});
