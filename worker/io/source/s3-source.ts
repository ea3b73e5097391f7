import { GetObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { IoError } from "../errors.ts";
import { parseS3Uri, s3Client, type S3Options, s3Error } from "../s3.ts";
import type { ByteRange, ByteSource } from "./byte-source.ts";
import { checkRange } from "./byte-source.ts";

/** An S3 object read with ranged GETs; its size comes from one HEAD. */
export function s3Source(uri: string, options: S3Options = {}): ByteSource {
  const { bucket, key } = parseS3Uri(uri);
  const client = s3Client(options);
  let size: Promise<number> | undefined;

  const sizeOf = (signal?: AbortSignal) => {
    size ??= client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal }).then(
      (head) => head.ContentLength ?? 0,
      (e: unknown) => {
        size = undefined; // an abort or a transient failure must not stick
        throw s3Error(e, uri);
      },
    );
    return size;
  };

  const readOne = async (range: ByteRange, signal?: AbortSignal): Promise<Uint8Array> => {
    const total = await sizeOf(signal);
    checkRange(uri, range, total);
    if (range.length === 0) return new Uint8Array(0);
    try {
      const got = await client.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: key,
          Range: `bytes=${range.offset}-${range.offset + range.length - 1}`,
        }),
        { abortSignal: signal },
      );
      const bytes = await got.Body!.transformToByteArray();
      if (bytes.byteLength !== range.length) {
        throw new IoError(
          "corrupt",
          uri,
          `ranged GET at ${range.offset} returned ${bytes.byteLength} bytes instead of ${range.length}`,
        );
      }
      return bytes;
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      throw s3Error(e, uri);
    }
  };

  return {
    uri,
    size: sizeOf,
    read(ranges, signal) {
      return Promise.all(ranges.map((r) => readOne(r, signal)));
    },
    async close() {},
  };
}
