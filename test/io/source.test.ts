import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { IoError } from "../../worker/io/errors.ts";
import type { ByteRange, ByteSource } from "../../worker/io/source/byte-source.ts";
import { cachedSource } from "../../worker/io/source/cached-source.ts";
import { openSource, rawSource } from "../../worker/io/source/open-source.ts";
import { type S3Fixture, startS3 } from "../helpers/s3rver.ts";

const SIZE = 300_000;
const data = new Uint8Array(SIZE).map((_, i) => (i * 7 + (i >> 8)) & 255);
const ranges: ByteRange[] = [
  { offset: 0, length: 16 },
  { offset: 70_000, length: 140_000 },
  { offset: SIZE - 5, length: 5 },
  { offset: 123, length: 0 },
];
const expected = ranges.map((r) => data.subarray(r.offset, r.offset + r.length));

let dir: string;
let file: string;
let s3: S3Fixture;
let server: Server;
let base: string;
let honourRange = true;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "imagechain-source-"));
  file = join(dir, "data.bin");
  await writeFile(file, data);
  s3 = await startS3();
  await s3.createBucket("src");
  await s3.client.send(new PutObjectCommand({ Bucket: "src", Key: "a/data.bin", Body: data }));
  server = createServer((req, res) => {
    if (req.url !== "/data.bin") return res.writeHead(404).end();
    const m = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? "");
    if (!m || !honourRange) return res.writeHead(200).end(data);
    const [a, b] = [Number(m[1]), Math.min(Number(m[2]), SIZE - 1)];
    res.writeHead(206, { "content-range": `bytes ${a}-${b}/${SIZE}` }).end(data.subarray(a, b + 1));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await s3.stop();
  server.close();
  await rm(dir, { recursive: true, force: true });
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(IoError);
    return (e as IoError).code;
  }
  return "none";
}

describe("every kind of source reads the same bytes, raw and cached", () => {
  const uris = () => [file, pathToFileURL(file).href, "s3://src/a/data.bin", `${base}/data.bin`];
  for (const cache of [false, undefined] as const) {
    test(`cache ${cache === false ? "off" : "on"}`, async () => {
      for (const uri of uris()) {
        const src = openSource(uri, { s3: s3.options, cache });
        expect(await src.size()).toBe(SIZE);
        expect(await src.read(ranges)).toEqual(expected);
        await src.close();
      }
    });
  }

  test("an http server that ignores Range (200 with the whole body) still works", async () => {
    honourRange = false;
    try {
      const src = openSource(`${base}/data.bin`);
      expect(await src.read(ranges)).toEqual(expected);
    } finally {
      honourRange = true;
    }
  });
});

describe("errors", () => {
  test("past the end is corrupt, for every source", async () => {
    for (const uri of [file, "s3://src/a/data.bin", `${base}/data.bin`]) {
      for (const cache of [false, undefined] as const) {
        const src = openSource(uri, { s3: s3.options, cache });
        expect(await codeOf(src.read([{ offset: SIZE - 10, length: 11 }]))).toBe("corrupt");
        await src.close();
      }
    }
  });

  test("missing file / object / bucket / URL is not-found, and the message names the URI", async () => {
    for (const uri of [join(dir, "nope.tif"), "s3://src/nope.tif", "s3://nobucket/x.tif", `${base}/nope`]) {
      const src = openSource(uri, { s3: s3.options });
      const err = await src.read([{ offset: 0, length: 8 }]).catch((e: unknown) => e as IoError);
      expect(err).toBeInstanceOf(IoError);
      expect((err as IoError).code).toBe("not-found");
      expect((err as IoError).message).toContain(uri);
    }
  });

  test("unknown S3 credentials are access-denied (s3rver checks the key id)", async () => {
    const src = openSource("s3://src/a/data.bin", {
      s3: { ...s3.options, credentials: { accessKeyId: "WRONG", secretAccessKey: "wrong" } },
    });
    expect(await codeOf(src.read([{ offset: 0, length: 8 }]))).toBe("access-denied");
  });

  test("relative paths and unknown schemes are unsupported-uri", () => {
    for (const uri of ["data.tif", "ftp://x/y.tif", "gs://b/k"]) {
      expect(() => rawSource(uri)).toThrow(expect.objectContaining({ code: "unsupported-uri" }));
    }
  });

  test("an aborted signal stops the read", async () => {
    const ac = new AbortController();
    ac.abort();
    for (const uri of [file, "s3://src/a/data.bin"]) {
      const src = openSource(uri, { s3: s3.options, cache: false });
      await expect(src.read([{ offset: 0, length: 8 }], ac.signal)).rejects.toThrow(/abort/i);
      await src.close();
    }
  });
});

/** A source over `data` that records every range it is asked for. */
function countingSource(): ByteSource & { requests: ByteRange[] } {
  const requests: ByteRange[] = [];
  return {
    uri: "mem://data",
    requests,
    size: async () => SIZE,
    async read(rs) {
      requests.push(...rs);
      return rs.map((r) => data.slice(r.offset, r.offset + r.length));
    },
    close: async () => {},
  };
}

describe("block cache and coalescing", () => {
  test("nearby ranges are fetched in one request and repeats come from the cache", async () => {
    const inner = countingSource();
    const src = cachedSource(inner, { blockSize: 1024, gapBytes: 4096 });
    const many = Array.from({ length: 50 }, (_, i) => ({ offset: 1000 + i * 3000, length: 500 }));
    expect(await src.read(many)).toEqual(many.map((r) => data.subarray(r.offset, r.offset + r.length)));
    expect(inner.requests.length).toBe(1);
    await src.read(many.slice(10, 20));
    expect(inner.requests.length).toBe(1);
  });

  test("far apart ranges are not merged, and big reads are split by maxRequestBytes", async () => {
    const inner = countingSource();
    const src = cachedSource(inner, { blockSize: 1024, gapBytes: 2048, maxRequestBytes: 64 * 1024 });
    await src.read([
      { offset: 0, length: 10 },
      { offset: 100_000, length: 10 },
    ]);
    expect(inner.requests).toEqual([
      { offset: 0, length: 1024 },
      { offset: 97 * 1024, length: 1024 },
    ]);
    inner.requests.length = 0;
    const r = { offset: 150_000, length: 150_000 };
    expect(await src.read([r])).toEqual([data.subarray(r.offset, SIZE)]);
    expect(inner.requests.length).toBe(3);
    expect(inner.requests.at(-1)!.offset + inner.requests.at(-1)!.length).toBe(SIZE);
  });

  test("large ranges (whole tiles) bypass the blocks but are still coalesced", async () => {
    const inner = countingSource();
    const src = cachedSource(inner, { blockSize: 1024, bypassBytes: 10_000, gapBytes: 2048 });
    const tiles = [
      { offset: 51_000, length: 20_000 },
      { offset: 30_000, length: 20_000 },
      { offset: 200_000, length: 12_000 },
      { offset: 5, length: 10 },
    ];
    expect(await src.read(tiles)).toEqual(tiles.map((r) => data.subarray(r.offset, r.offset + r.length)));
    expect(inner.requests).toEqual([
      { offset: 0, length: 1024 },
      { offset: 30_000, length: 41_000 },
      { offset: 200_000, length: 12_000 },
    ]);
    inner.requests.length = 0;
    await src.read(tiles);
    expect(inner.requests).toEqual([
      { offset: 30_000, length: 41_000 },
      { offset: 200_000, length: 12_000 },
    ]);
  });

  test("a reader aborting does not fail another reader waiting for the same blocks", async () => {
    let calls = 0;
    const inner: ByteSource = {
      uri: "mem://slow",
      size: async () => SIZE,
      async read(rs, signal) {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 20));
        signal?.throwIfAborted();
        return rs.map((r) => data.slice(r.offset, r.offset + r.length));
      },
      close: async () => {},
    };
    const src = cachedSource(inner, { blockSize: 1024 });
    const ac = new AbortController();
    const first = src.read([{ offset: 0, length: 4000 }], ac.signal);
    const second = src.read([{ offset: 100, length: 10 }]);
    ac.abort();
    await expect(first).rejects.toThrow(/abort/i);
    expect(await second).toEqual([data.subarray(100, 110)]);
    expect(calls).toBe(2);
  });

  test("the LRU stays within its byte bound and still serves reads larger than itself", async () => {
    const inner = countingSource();
    const src = cachedSource(inner, { blockSize: 1024, maxBytes: 8 * 1024 });
    const r = { offset: 0, length: 100_000 };
    expect(await src.read([r])).toEqual([data.subarray(0, 100_000)]);
    inner.requests.length = 0;
    await src.read([{ offset: 0, length: 10 }]); // evicted: fetched again
    await src.read([{ offset: 99_990, length: 10 }]); // recent: cached
    expect(inner.requests).toEqual([{ offset: 0, length: 1024 }]);
  });
});
