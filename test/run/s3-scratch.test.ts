/**
 * Shared scratch on a real S3 server (s3rver): whole and ranged reads, sizes, deletion in batches with the
 * bytes freed, missing keys as the Scratch interface says, a missing bucket as a permanent error naming
 * the URI; and the pod's stack of a lane directory over it.
 */
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IoError } from "../../worker/io/errors.ts";
import { s3Client, type S3Options } from "../../worker/io/s3.ts";
import { s3Scratch } from "../../worker/run/s3-scratch.ts";
import { dirScratch, type ScratchFile } from "../../worker/run/scratch.ts";
import { isIntermediateKey } from "../../worker/run/products.ts";
import { stackScratch } from "../../worker/run/scratch-stack.ts";
import { startS3, type S3Fixture } from "../helpers/s3rver.ts";

let s3: S3Fixture;
let dir: string;
beforeAll(async () => {
  s3 = await startS3();
  await s3.createBucket("scratch");
  dir = await mkdtemp(join(tmpdir(), "imagechain-stack-"));
});
afterAll(async () => {
  await s3.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Deterministic bytes: byte i of object `seed` is (i * 7 + seed) mod 251. */
function bytes(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 7 + seed) % 251);
}

async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const res = await s3.client.send(
      new ListObjectsV2Command({ Bucket: "scratch", Prefix: prefix, ContinuationToken: token }),
    );
    keys.push(...(res.Contents ?? []).map((o) => o.Key!));
    token = res.NextContinuationToken;
  } while (token);
  return keys.sort();
}

/** Counts the commands the app's (shared, cached) client sends for `options` while `during` runs. */
async function commandsDuring(
  options: S3Options,
  during: () => Promise<unknown>,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const stack = s3Client(options).middlewareStack;
  const name = "test-command-counter";
  stack.add(
    (next, context) => (args) => {
      counts[context.commandName!] = (counts[context.commandName!] ?? 0) + 1;
      return next(args);
    },
    { step: "initialize", name },
  );
  try {
    await during();
  } finally {
    stack.remove(name);
  }
  return counts;
}

describe("s3Scratch", () => {
  it("puts the concatenated chunks as one object and gets them back whole", async () => {
    const scratch = s3Scratch("s3://scratch/chains/a", s3.options);
    expect(scratch.oneArea).toBe(true);
    const parts = [bytes(16, 1), bytes(1000, 2), bytes(3, 3)];
    await scratch.put(0, "ndvi/1_2.tile", parts);
    expect(await keysUnder("chains/a/")).toEqual(["chains/a/ndvi/1_2.tile"]);
    const got = await scratch.get("ndvi/1_2.tile", 0);
    expect(Buffer.from(got!).equals(Buffer.concat(parts))).toBe(true);
    expect(await scratch.size("ndvi/1_2.tile", -1)).toBe(1019);
  });

  it("reads ranges: inside the first bytes, far beyond them, across their end; refuses reads past the end", async () => {
    const scratch = s3Scratch("s3://scratch/chains/b/", s3.options);
    const whole = bytes(300_000, 5);
    await scratch.put("shared", "smooth/0_0.tile", [whole]);
    let file: ScratchFile | null = null;
    const commands = await commandsDuring(s3.options, async () => {
      file = (await scratch.open("smooth/0_0.tile", 3))!;
      for (const [position, length] of [
        [0, 16],
        [100, 2048],
        [250_000, 4096],
        [60_000, 10_000],
        [299_990, 10],
      ] as const) {
        const into = new Uint8Array(length);
        await file!.read(into, position);
        expect(Buffer.from(into).equals(whole.subarray(position, position + length)), `${position}`).toBe(
          true,
        );
      }
    });
    // The open's GET brings the first 64 KiB: the reads inside them cost nothing, the three others one GET each.
    expect(commands).toEqual({ GetObjectCommand: 4 });
    await expect(file!.read(new Uint8Array(20), 299_990)).rejects.toThrow(/ends at 300000/);
    await file!.close();
  });

  it("opens a small object whole in one read", async () => {
    const scratch = s3Scratch("s3://scratch/chains/b/", s3.options);
    await scratch.put("shared", "out0/L1/0_0.enc", [bytes(40, 9)]);
    const into = new Uint8Array(40);
    const commands = await commandsDuring(s3.options, async () => {
      const file = (await scratch.open("out0/L1/0_0.enc", -1))!;
      await file.read(into, 0);
    });
    expect(commands).toEqual({ GetObjectCommand: 1 });
    expect(Array.from(into)).toEqual(Array.from(bytes(40, 9)));
  });

  it("answers missing keys: get and open null, size throws naming the object", async () => {
    const scratch = s3Scratch("s3://scratch/chains/c", s3.options);
    expect(await scratch.get("ndvi/9_9.tile", 0)).toBeNull();
    expect(await scratch.open("ndvi/9_9.tile", 0)).toBeNull();
    await expect(scratch.size("ndvi/9_9.tile", -1)).rejects.toThrow(
      "scratch tile s3://scratch/chains/c/ndvi/9_9.tile is missing",
    );
    expect(await scratch.remove(0, ["ndvi/9_9.tile"])).toBe(0);
  });

  it("sizes tiles written after the directory was listed, and forgets removed ones", async () => {
    const scratch = s3Scratch("s3://scratch/chains/d", s3.options);
    const other = s3Scratch("s3://scratch/chains/d", s3.options); // another worker, same prefix
    await scratch.put("shared", "out0/L0/0_0.enc", [bytes(10, 1)]);
    await scratch.put("shared", "out0/L0/0_1.enc", [bytes(11, 1)]);
    const commands = await commandsDuring(s3.options, async () => {
      expect(await scratch.size("out0/L0/0_0.enc", -1)).toBe(10);
      expect(await scratch.size("out0/L0/0_1.enc", -1)).toBe(11);
    });
    expect(commands).toEqual({ ListObjectsV2Command: 1 });
    await other.put("shared", "out0/L0/1_0.enc", [bytes(25, 1)]);
    expect(await scratch.size("out0/L0/1_0.enc", -1)).toBe(25);
    expect(await scratch.remove(-1, ["out0/L0/0_0.enc"])).toBe(10);
    await expect(scratch.size("out0/L0/0_0.enc", -1)).rejects.toThrow(/is missing/);
  });

  it("removes in batches of at most 1000, returning the bytes freed, whether sizes come from HEADs or listings", async () => {
    const scratch = s3Scratch("s3://scratch/chains/e", s3.options);
    // Two directories large enough to be listed rather than HEADed (each under one page: s3rver cannot
    // page listings on Node 24), a small one HEADed, 1,115 keys in all.
    const keys = ["ndvi", "smooth"].flatMap((layer) =>
      Array.from({ length: 550 }, (_, i) => `${layer}/${i}_0.tile`),
    );
    const small = Array.from({ length: 15 }, (_, i) => `smooth.q/${i}_0.q`);
    const all = [...keys, ...small];
    const sizeOf = (i: number) => 1 + (i % 13);
    for (let i = 0; i < all.length; i += 50)
      await Promise.all(
        all.slice(i, i + 50).map((k, j) => scratch.put("shared", k, [bytes(sizeOf(i + j), 0)])),
      );
    const kept = all.filter((_, i) => i % 100 === 3);
    const removed = all.filter((_, i) => i % 100 !== 3);
    const expected = all.reduce((n, _, i) => (i % 100 === 3 ? n : n + sizeOf(i)), 0);
    expect(removed.length).toBeGreaterThan(1000);
    const asked = [...removed, "ndvi/missing.tile", "smooth.q/9_9.q", removed[0]!];
    let freed = 0;
    const commands = await commandsDuring(s3.options, async () => (freed = await scratch.remove(0, asked)));
    expect(freed).toBe(expected);
    // One listing page per large directory, a HEAD per key of the small one, two DeleteObjects.
    expect(commands).toEqual({ ListObjectsV2Command: 2, HeadObjectCommand: 15, DeleteObjectsCommand: 2 });
    expect(await keysUnder("chains/e/")).toEqual(kept.map((k) => `chains/e/${k}`).sort());
    expect(await scratch.remove(0, removed)).toBe(0);
  });

  it("fails on a missing bucket with a permanent error naming the URI", async () => {
    const scratch = s3Scratch("s3://no-such-bucket/chains/x", s3.options);
    const failures = [
      () => scratch.put("shared", "ndvi/0_0.tile", [bytes(4, 0)]),
      () => scratch.get("ndvi/0_0.tile", 0),
      () => scratch.open("ndvi/0_0.tile", 0),
      () => scratch.size("ndvi/0_0.tile", -1),
    ];
    for (const f of failures) {
      const e = await f().then(
        () => null,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(IoError);
      expect((e as IoError).permanent).toBe(true);
      expect((e as IoError).message).toContain("s3://no-such-bucket/chains/x/ndvi/");
    }
  });

  it("is transient when the server cannot be reached", async () => {
    const scratch = s3Scratch("s3://scratch/chains/y", { ...s3.options, endpoint: "http://127.0.0.1:9" });
    const e = await scratch.get("ndvi/0_0.tile", 0).then(
      () => null,
      (err: unknown) => err as IoError,
    );
    expect(e).toBeInstanceOf(IoError);
    expect(e!.code).toBe("transient");
    expect(e!.message).toContain("s3://scratch/chains/y/ndvi/0_0.tile");
  });
});

describe("stackScratch (lane directory over S3)", () => {
  it("keeps lane tiles on the lane's directory, shared ones on S3, and reads lane first", async () => {
    const lanes = dirScratch(dir);
    const scratch = stackScratch(lanes, s3Scratch("s3://scratch/chains/stack", s3.options));
    expect(scratch.oneArea).toBe(false);
    await scratch.put(1, "ndvi/0_0.tile", [bytes(30, 1)]);
    await scratch.put("shared", "ndvi/0_0.tile", [bytes(30, 2)]);
    await scratch.put("shared", "ndvi/5_0.tile", [bytes(50, 3)]);
    expect((await readdir(join(dir, "lanes/L1/ndvi"))).sort()).toEqual(["0_0.tile"]);
    expect(await keysUnder("chains/stack/")).toEqual([
      "chains/stack/ndvi/0_0.tile",
      "chains/stack/ndvi/5_0.tile",
    ]);

    expect(Array.from((await scratch.get("ndvi/0_0.tile", 1))!)).toEqual(Array.from(bytes(30, 1)));
    expect(Array.from((await scratch.get("ndvi/0_0.tile", 0))!)).toEqual(Array.from(bytes(30, 2)));
    expect(Array.from((await scratch.get("ndvi/0_0.tile", -1))!)).toEqual(Array.from(bytes(30, 2)));
    const file = (await scratch.open("ndvi/5_0.tile", 1))!;
    const into = new Uint8Array(10);
    await file.read(into, 40);
    await file.close();
    expect(Array.from(into)).toEqual(Array.from(bytes(50, 3).subarray(40)));
    expect(await scratch.size("ndvi/0_0.tile", 1)).toBe(30);
    expect(await scratch.size("ndvi/5_0.tile", 1)).toBe(50);
    expect(await scratch.get("ndvi/7_7.tile", 1)).toBeNull();
    expect(await scratch.open("ndvi/7_7.tile", 1)).toBeNull();
    // What each place served: the lane's 30 bytes once; shared: 30 + 30 whole and 10 of a partial read.
    expect(scratch.reads).toEqual({ lane: 30, shared: 70 });

    expect(await scratch.remove(1, ["ndvi/0_0.tile", "ndvi/5_0.tile"])).toBe(110);
    expect(await readdir(join(dir, "lanes/L1/ndvi"))).toEqual([]);
    expect(await keysUnder("chains/stack/")).toEqual([]);
  });

  it("counts only the reads of the keys it is told to (intermediate tiles, not gathers)", async () => {
    const scratch = stackScratch(
      dirScratch(dir),
      s3Scratch("s3://scratch/chains/count", s3.options),
      isIntermediateKey,
    );
    await scratch.put(0, "ndvi/0_0.tile", [bytes(20, 1)]);
    await scratch.put("shared", "ndvi/1_0.q", [bytes(12, 2)]);
    await scratch.put("shared", "out0/L0/0_0.enc", [bytes(40, 3)]);
    await scratch.get("ndvi/0_0.tile", 0);
    await scratch.get("ndvi/1_0.q", 0);
    await scratch.get("out0/L0/0_0.enc", 0);
    expect(scratch.reads).toEqual({ lane: 20, shared: 12 });
    await scratch.remove(0, ["ndvi/0_0.tile", "ndvi/1_0.q", "out0/L0/0_0.enc"]);
  });
});
