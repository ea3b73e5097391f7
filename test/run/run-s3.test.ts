/** `imagechain run` with its source and its output on S3 (a real s3rver on loopback). */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { imagechain } from "../helpers/cli.ts";
import { startS3, type S3Fixture } from "../helpers/s3rver.ts";
import { makeScene, ndviChain, writeChain, type Scene } from "./fixtures.ts";

let s3: S3Fixture;
let scene: Scene;
let env: Record<string, string>;

beforeAll(async () => {
  [s3, scene] = await Promise.all([startS3(), makeScene(400, 300)]);
  await s3.createBucket("l1c");
  await s3.createBucket("results");
  await s3.client.send(
    new PutObjectCommand({ Bucket: "l1c", Key: "T31TCJ/scene.tif", Body: await readFile(scene.path) }),
  );
  env = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_REGION: "us-east-1" };
});
afterAll(async () => {
  await s3.stop();
  await rm(scene.dir, { recursive: true, force: true });
});

function onS3(output: string) {
  const chain = ndviChain("s3://l1c/T31TCJ/scene.tif", output);
  return {
    ...chain,
    spec: { ...chain.spec, storage: { s3: { endpoint: s3.options.endpoint, forcePathStyle: true } } },
  };
}

describe("imagechain run on S3", () => {
  it("reads the source and writes the output COG on S3, byte for byte what a local run writes", async () => {
    const local = join(scene.dir, "local.tif");
    const localRun = await imagechain([
      "run",
      await writeChain(scene.dir, "local.yaml", ndviChain(scene.uri, pathToFileURL(local).href)),
    ]);
    expect(localRun.code, localRun.stderr).toBe(0);

    const r = await imagechain(
      ["run", await writeChain(scene.dir, "s3.yaml", onS3("s3://results/s2/ndvi.tif")), "--workers", "2"],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("wrote s3://results/s2/ndvi.tif");
    const got = await s3.client.send(new GetObjectCommand({ Bucket: "results", Key: "s2/ndvi.tif" }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    expect(bytes.equals(await readFile(local))).toBe(true);
  });

  it("an output bucket that does not exist: exit 2, the URI named, no object anywhere", async () => {
    const r = await imagechain(
      ["run", await writeChain(scene.dir, "nobucket.yaml", onS3("s3://missing-bucket/ndvi.tif"))],
      env,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/s3:\/\/missing-bucket\/ndvi\.tif/);
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: "results" }));
    expect((listed.Contents ?? []).map((o) => o.Key)).toEqual(["s2/ndvi.tif"]);
  });
});
