/**
 * Whether an output URI can be written, asked before any work starts: a chain that would compute for an
 * hour and then find its bucket missing or its directory read-only should fail in its first second.
 */
import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { dirname, isAbsolute } from "node:path";
import { fileURLToPath } from "node:url";
import { IoError } from "../errors.ts";
import type { S3Options } from "../s3.ts";

export async function checkDestination(uri: string, s3: S3Options = {}): Promise<void> {
  if (uri.startsWith("s3://")) {
    // Loaded here only: file-only runs need not pay for the AWS SDK.
    const { HeadBucketCommand } = await import("@aws-sdk/client-s3");
    const { parseS3Uri, s3Client, s3Error } = await import("../s3.ts");
    const { bucket } = parseS3Uri(uri);
    try {
      await s3Client(s3).send(new HeadBucketCommand({ Bucket: bucket }));
    } catch (e) {
      const err = s3Error(e, uri);
      throw new IoError(
        err.code,
        uri,
        `cannot write here: bucket '${bucket}': ${err.message.slice(uri.length + 2)}`,
        {
          cause: e,
        },
      );
    }
    return;
  }
  const path = uri.startsWith("file://") ? fileURLToPath(uri) : uri;
  if (!isAbsolute(path))
    throw new IoError("unsupported-uri", uri, "outputs are s3://bucket/key or file:///abs/path");
  const dir = dirname(path);
  const isDir = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) throw new IoError("not-found", uri, `cannot write here: ${dir} is not a directory`);
  await access(dir, constants.W_OK).catch(() => {
    throw new IoError("access-denied", uri, `cannot write here: ${dir} is not writable`);
  });
}
