/**
 * Failures are data first: a code, the URI (or file/tile) they concern and whether retrying can help.
 * Shells turn them into one-line messages and exit codes (2 = bad input, permanent; 1 = transient).
 */
export type IoErrorCode =
  | "not-found" // the object or file does not exist
  | "access-denied" // credentials rejected or missing
  | "not-tiff" // the bytes are not a TIFF
  | "corrupt" // a TIFF whose structure or data is damaged (truncated, bad offsets, bad stream)
  | "unsupported" // valid TIFF, but a feature imagechain does not read (compression, sample format…)
  | "invalid-argument" // a caller asked for something impossible (window outside the image, bad option)
  | "unsupported-uri" // a URI scheme imagechain cannot open
  | "transient"; // network trouble, throttling, 5xx: retrying may succeed

export class IoError extends Error {
  readonly code: IoErrorCode;
  readonly uri: string;

  constructor(code: IoErrorCode, uri: string, message: string, options?: { cause?: unknown }) {
    super(`${uri}: ${message}`, options);
    this.name = "IoError";
    this.code = code;
    this.uri = uri;
  }

  /** Permanent failures exit with 2 (bad input); only transient ones are worth a retry. */
  get permanent(): boolean {
    return this.code !== "transient";
  }
}

export function isIoError(e: unknown): e is IoError {
  return e instanceof IoError;
}
