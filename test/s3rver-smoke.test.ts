import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type S3Fixture, startS3 } from "./helpers/s3rver.ts";

let s3: S3Fixture;
beforeAll(async () => {
  s3 = await startS3();
  await s3.createBucket("smoke");
});
afterAll(() => s3.stop());

test("s3rver round-trips an object with a ranged GET", async () => {
  await s3.client.send(
    new PutObjectCommand({ Bucket: "smoke", Key: "a/b.bin", Body: Buffer.from("0123456789") }),
  );
  const got = await s3.client.send(
    new GetObjectCommand({ Bucket: "smoke", Key: "a/b.bin", Range: "bytes=2-5" }),
  );
  expect(Buffer.from(await got.Body!.transformToByteArray()).toString()).toBe("2345");
});
