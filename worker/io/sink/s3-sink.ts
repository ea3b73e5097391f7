/**
 * An S3 sink: a single PutObject when everything fits in one part, else a multipart upload with a few
 * parts in flight. Any failure, or abort, sends AbortMultipartUpload, so no object and no pending
 * upload is left; the object appears at its key only when CompleteMultipartUpload succeeds.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { IoError } from "../errors.ts";
import type { S3Options } from "../s3.ts";
import { parseS3Uri, s3Client, s3Error } from "../s3.ts";
import type { ByteSink } from "./byte-sink.ts";

export interface S3SinkOptions {
  /** First parts' size (≥ 5 MiB, S3's minimum); default 8 MiB. */
  readonly partSize?: number;
  /** Parts uploading at once; default 4. */
  readonly concurrency?: number;
}

const MIN_PART = 5 << 20;
const CONTENT_TYPE = "image/tiff";

/** S3 allows 10,000 parts: doubling the part size every 1,000 parts lifts the cap from 80 GB to ~8 TB. */
export function partSizeFor(partNumber: number, base: number): number {
  return base * 2 ** Math.floor((partNumber - 1) / 1000);
}

export function openS3Sink(uri: string, s3: S3Options = {}, opts: S3SinkOptions = {}): ByteSink {
  const { bucket, key } = parseS3Uri(uri);
  const client = s3Client(s3);
  const base = opts.partSize ?? 8 << 20;
  if (base < MIN_PART)
    throw new IoError("invalid-argument", uri, `partSize ${base} is below S3's 5 MiB minimum`);
  const concurrency = opts.concurrency ?? 4;
  let buffer = new Uint8Array(partSizeFor(1, base));
  let filled = 0;
  let partNumber = 1;
  let uploadId: string | null = null;
  const parts: { PartNumber: number; ETag: string }[] = [];
  const inflight = new Set<Promise<void>>();
  let failure: IoError | null = null;
  let state: "open" | "closing" | "closed" | "aborted" = "open";

  async function abortUpload(): Promise<void> {
    await Promise.allSettled(inflight);
    if (uploadId === null) return;
    const id = uploadId;
    uploadId = null;
    try {
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: id }));
    } catch (e) {
      throw s3Error(e, uri);
    }
  }

  async function failWith(e: unknown): Promise<never> {
    state = "aborted";
    const error = failure ?? s3Error(e, uri);
    await abortUpload().catch(() => undefined);
    throw error;
  }

  async function startPart(body: Uint8Array): Promise<void> {
    while (inflight.size >= concurrency) await Promise.race(inflight);
    if (failure) throw failure;
    if (uploadId === null) {
      const created = await client.send(
        new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: CONTENT_TYPE }),
      );
      uploadId = created.UploadId ?? null;
      if (uploadId === null)
        throw new IoError("transient", uri, "CreateMultipartUpload returned no UploadId");
    }
    const number = partNumber++;
    const upload = client
      .send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: number,
          Body: body,
        }),
      )
      .then((r) => {
        parts.push({ PartNumber: number, ETag: r.ETag ?? "" });
      })
      .catch((e: unknown) => {
        failure ??= s3Error(e, uri);
      })
      .finally(() => inflight.delete(upload));
    inflight.add(upload);
  }

  return {
    async write(chunk) {
      if (state !== "open") throw new IoError("invalid-argument", uri, `write after ${state}`);
      try {
        let at = 0;
        while (at < chunk.length) {
          const n = Math.min(buffer.length - filled, chunk.length - at);
          buffer.set(chunk.subarray(at, at + n), filled);
          filled += n;
          at += n;
          if (filled === buffer.length) {
            const full = buffer;
            buffer = new Uint8Array(partSizeFor(partNumber + 1, base));
            filled = 0;
            await startPart(full);
          }
        }
      } catch (e) {
        await failWith(e);
      }
    },
    async close() {
      if (state !== "open") throw new IoError("invalid-argument", uri, `close after ${state}`);
      state = "closing";
      try {
        if (uploadId === null) {
          const body = buffer.subarray(0, filled);
          await client.send(
            new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: CONTENT_TYPE }),
          );
        } else {
          if (filled > 0) await startPart(buffer.subarray(0, filled));
          await Promise.all(inflight);
          if (failure) throw failure;
          parts.sort((a, b) => a.PartNumber - b.PartNumber);
          await client.send(
            new CompleteMultipartUploadCommand({
              Bucket: bucket,
              Key: key,
              UploadId: uploadId,
              MultipartUpload: { Parts: parts },
            }),
          );
          uploadId = null;
        }
        state = "closed";
      } catch (e) {
        await failWith(e);
      }
    },
    async abort() {
      if (state === "closed" || state === "aborted") return;
      state = "aborted";
      await abortUpload();
    },
  };
}
