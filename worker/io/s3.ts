import { S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { IoError } from "./errors.ts";

/**
 * Where and as whom to talk S3. Anything left out falls back to the standard AWS environment
 * (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, …), as the SDK does.
 */
export interface S3Options {
  readonly endpoint?: string;
  readonly region?: string;
  readonly forcePathStyle?: boolean;
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
}

export interface S3Location {
  readonly bucket: string;
  readonly key: string;
}

export function parseS3Uri(uri: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) throw new IoError("unsupported-uri", uri, "an S3 URI has the form s3://bucket/key");
  return { bucket: m[1]!, key: m[2]! };
}

const clients = new Map<string, S3Client>();

/** One client per distinct configuration, so connections are pooled across reads and writes. */
export function s3Client(options: S3Options = {}): S3Client {
  const key = JSON.stringify(options);
  let client = clients.get(key);
  if (!client) {
    const endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
    client = new S3Client({
      region: options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1",
      ...(endpoint ? { endpoint } : {}),
      forcePathStyle: options.forcePathStyle ?? Boolean(endpoint),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      // s3rver, MinIO and most S3-compatible stores reject the SDK's default CRC trailers.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      maxAttempts: 4,
    });
    clients.set(key, client);
  }
  return client;
}

/** Translate an SDK failure into an IoError that names the URI and says whether a retry can help. */
export function s3Error(e: unknown, uri: string): IoError {
  if (e instanceof IoError) return e;
  const name = (e as { name?: string }).name ?? "";
  const status = e instanceof S3ServiceException ? e.$metadata.httpStatusCode : undefined;
  const detail = (e as Error).message || name || String(e);
  if (name === "NoSuchKey" || name === "NotFound" || name === "NoSuchBucket" || status === 404) {
    return new IoError("not-found", uri, `no such object (${name || status})`, { cause: e });
  }
  if (
    status === 403 ||
    status === 401 ||
    /AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch|CredentialsProviderError/.test(name)
  ) {
    return new IoError("access-denied", uri, `access denied: ${detail}`, { cause: e });
  }
  if (status === 416 || name === "InvalidRange") {
    return new IoError("corrupt", uri, `read past the end of the object (${detail})`, { cause: e });
  }
  return new IoError("transient", uri, `S3 request failed: ${detail}`, { cause: e });
}
