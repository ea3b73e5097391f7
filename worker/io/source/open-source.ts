import { isAbsolute } from "node:path";
import { fileURLToPath } from "node:url";
import { IoError } from "../errors.ts";
import type { S3Options } from "../s3.ts";
import type { ByteSource } from "./byte-source.ts";
import { type CacheOptions, cachedSource } from "./cached-source.ts";
import { fileSource } from "./file-source.ts";
import { httpSource } from "./http-source.ts";

export interface OpenSourceOptions {
  readonly s3?: S3Options;
  /** Block cache and coalescing settings; `false` gives the raw source. */
  readonly cache?: CacheOptions | false;
}

/** The raw source for a URI: file:///abs, /abs, s3://bucket/key, http(s)://… */
export function rawSource(uri: string, options: OpenSourceOptions = {}): ByteSource {
  if (uri.startsWith("s3://")) {
    return deferred(uri, async () => (await import("./s3-source.ts")).s3Source(uri, options.s3));
  }
  if (uri.startsWith("https://") || uri.startsWith("http://")) return httpSource(uri);
  if (uri.startsWith("file://")) {
    let path: string;
    try {
      path = fileURLToPath(uri);
    } catch (e) {
      throw new IoError("unsupported-uri", uri, "a file URI has the form file:///absolute/path", {
        cause: e,
      });
    }
    return fileSource(uri, path);
  }
  if (isAbsolute(uri)) return fileSource(uri, uri);
  throw new IoError(
    "unsupported-uri",
    uri,
    "expected file:///…, an absolute path, s3://bucket/key or http(s)://…",
  );
}

/**
 * A source made on first use: the AWS SDK (~60 ms of start-up and 6 MB of heap, which every full
 * garbage collection then marks) is loaded only by processes that read from S3.
 */
function deferred(uri: string, make: () => Promise<ByteSource>): ByteSource {
  let inner: Promise<ByteSource> | undefined;
  const get = () => (inner ??= make());
  return {
    uri,
    size: async (signal) => (await get()).size(signal),
    read: async (ranges, signal) => (await get()).read(ranges, signal),
    // A source that could not be made has nothing to release (its error surfaced on the first read).
    close: async () => {
      await (await inner?.catch(() => undefined))?.close();
    },
  };
}

/** A source for a URI wrapped in the block cache, which also coalesces nearby reads. */
export function openSource(uri: string, options: OpenSourceOptions = {}): ByteSource {
  const raw = rawSource(uri, options);
  return options.cache === false ? raw : cachedSource(raw, options.cache);
}
