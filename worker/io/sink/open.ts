import { fileURLToPath } from "node:url";
import { isAbsolute } from "node:path";
import { IoError } from "../errors.ts";
import type { S3Options } from "../s3.ts";
import type { ByteSink } from "./byte-sink.ts";
import { openFileSink } from "./file-sink.ts";
import type { S3SinkOptions } from "./s3-sink.ts";

export type { ByteSink } from "./byte-sink.ts";

/** A sink for `s3://bucket/key`, `file:///abs/path` or an absolute path. */
export async function openSink(
  uri: string,
  opts: { s3?: S3Options } & S3SinkOptions = {},
): Promise<ByteSink> {
  // Loaded on first use: the AWS SDK costs start-up time and heap that file-only runs need not pay.
  if (uri.startsWith("s3://")) return (await import("./s3-sink.ts")).openS3Sink(uri, opts.s3, opts);
  if (uri.startsWith("file://")) return openFileSink(fileURLToPath(uri), uri);
  if (isAbsolute(uri)) return openFileSink(uri, uri);
  throw new IoError(
    "unsupported-uri",
    uri,
    "outputs are s3://bucket/key, file:///abs/path or an absolute path",
  );
}
