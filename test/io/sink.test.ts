import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { S3Client } from "@aws-sdk/client-s3";
import { GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IoError } from "../../worker/io/errors.ts";
import { s3Client } from "../../worker/io/s3.ts";
import { openSink } from "../../worker/io/sink/open.ts";
import { createCogWriter } from "../../worker/io/tiff/cog-writer.ts";
import { addAll, makeImage } from "../helpers/cog-fixtures.ts";
import type { S3Fixture } from "../helpers/s3rver.ts";
import { startS3 } from "../helpers/s3rver.ts";
import { enableMultipartAbortAndList } from "../helpers/s3rver-multipart.ts";

enableMultipartAbortAndList();

let s3: S3Fixture;
let dir: string;
const BUCKET = "out";

/** Pseudo-random, incompressible-looking bytes, reproducible. */
function payload(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

async function leftovers(client: S3Client): Promise<{ objects: string[]; uploads: string[] }> {
  const objects = await client.send(new ListObjectsV2Command({ Bucket: BUCKET }));
  const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }));
  return {
    objects: (objects.Contents ?? []).map((o) => o.Key!),
    uploads: (uploads.Uploads ?? []).map((u) => u.Key!),
  };
}

async function getObject(key: string): Promise<Buffer> {
  const r = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

beforeAll(async () => {
  s3 = await startS3();
  await s3.createBucket(BUCKET);
  dir = await mkdtemp(join(tmpdir(), "sink-test-"));
});

afterAll(async () => {
  await s3.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("S3 sink", () => {
  it("uploads several parts (odd chunk sizes) and reads back byte-equal", async () => {
    const data = payload(13 * 1024 * 1024 + 12345, 7);
    const sent: string[] = [];
    const client = s3Client(s3.options);
    client.middlewareStack.add(
      (next, context) => async (args) => {
        sent.push(context.commandName!);
        return next(args);
      },
      { step: "initialize", name: "recordCommands" },
    );
    const sink = await openSink(`s3://${BUCKET}/big.bin`, { s3: s3.options, partSize: 5 * 1024 * 1024 });
    for (let at = 0; at < data.length; at += 777_777) await sink.write(data.subarray(at, at + 777_777));
    await sink.close();
    client.middlewareStack.remove("recordCommands");
    expect(sent.filter((c) => c === "UploadPartCommand")).toHaveLength(3);
    expect(sent.filter((c) => c !== "UploadPartCommand")).toEqual([
      "CreateMultipartUploadCommand",
      "CompleteMultipartUploadCommand",
    ]);
    expect(Buffer.compare(await getObject("big.bin"), data)).toBe(0);
    expect((await leftovers(s3.client)).uploads).toEqual([]);
  });

  it("writes a small object with a single PutObject", async () => {
    const sink = await openSink(`s3://${BUCKET}/small.bin`, { s3: s3.options });
    await sink.write(payload(1000, 3));
    await sink.close();
    expect(Buffer.compare(await getObject("small.bin"), payload(1000, 3))).toBe(0);
  });

  it("abort after parts were uploaded leaves no object and no pending upload", async () => {
    const before = await leftovers(s3.client);
    const sink = await openSink(`s3://${BUCKET}/aborted.bin`, { s3: s3.options, partSize: 5 * 1024 * 1024 });
    await sink.write(payload(11 * 1024 * 1024, 9));
    await sink.abort();
    await sink.abort(); // idempotent
    expect(await leftovers(s3.client)).toEqual(before);
  });

  it("a COG write that fails midway leaves no object and no pending upload", async () => {
    const before = await leftovers(s3.client);
    const spec = {
      width: 900,
      height: 900,
      bandCount: 4,
      dataType: "float64" as const,
      tileSize: 128,
      compression: "none" as const,
      crs: { epsg: 32631, wkt: null },
      geoTransform: null,
      nodata: null,
    };
    const writer = await createCogWriter(spec, { tmpDir: dir });
    await addAll(writer, makeImage("float64", 900, 900, 4), "float64", 900, 900, 128);
    const real = await openSink(`s3://${BUCKET}/failed.tif`, { s3: s3.options, partSize: 5 * 1024 * 1024 });
    let written = 0;
    const failing = {
      async write(chunk: Uint8Array) {
        written += chunk.length;
        if (written > 12 * 1024 * 1024)
          throw new IoError("transient", "s3://out/failed.tif", "connection reset");
        await real.write(chunk);
      },
      close: () => real.close(),
      abort: () => real.abort(),
    };
    await expect(writer.finish(failing)).rejects.toThrow(/connection reset/);
    expect(written).toBeGreaterThan(10 * 1024 * 1024); // parts had been uploaded
    expect(await leftovers(s3.client)).toEqual(before);
  });

  it("maps a missing bucket to a not-found IoError naming the URI", async () => {
    const sink = await openSink("s3://no-such-bucket/x.tif", { s3: s3.options });
    await sink.write(payload(10, 1));
    await expect(sink.close()).rejects.toMatchObject({ code: "not-found", uri: "s3://no-such-bucket/x.tif" });
  });
});

describe("file sink", () => {
  it("writes through a temporary name and renames on close", async () => {
    const path = join(dir, "out.bin");
    const sink = await openSink(pathToFileURL(path).href);
    await sink.write(payload(100, 1));
    expect(await readdir(dir)).not.toContain("out.bin");
    await sink.close();
    expect(Buffer.compare(await readFile(path), payload(100, 1))).toBe(0);
    expect((await readdir(dir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("abort leaves neither the file nor a temporary file", async () => {
    const sub = await mkdtemp(join(dir, "abort-"));
    const sink = await openSink(join(sub, "aborted.tif"));
    await sink.write(payload(100_000, 2));
    await sink.abort();
    expect(await readdir(sub)).toEqual([]);
  });

  it("rejects relative paths and unknown schemes, and a missing directory as not-found", async () => {
    await expect(openSink("out.tif")).rejects.toMatchObject({ code: "unsupported-uri" });
    await expect(openSink("gs://b/k")).rejects.toMatchObject({ code: "unsupported-uri" });
    await expect(openSink(join(dir, "missing", "x.tif"))).rejects.toMatchObject({ code: "not-found" });
  });
});
