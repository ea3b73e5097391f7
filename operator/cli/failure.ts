import { IoError } from "../../worker/io/errors.ts";

/** Thrown for a bad command line: the message is printed as is and the exit code is 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/**
 * One line on stderr and the exit code the brief promises: 2 when the input is at fault (retrying cannot help),
 * 1 when the failure may be transient.
 */
export function reportFailure(e: unknown): number {
  if (e instanceof UsageError) {
    process.stderr.write(`imagechain: ${e.message}\n`);
    return 2;
  }
  // node:util parseArgs: an unknown option or a missing value is a bad command line.
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_")) {
    process.stderr.write(`imagechain: ${(e as Error).message}\n`);
    return 2;
  }
  if (e instanceof IoError) {
    process.stderr.write(`imagechain: ${e.message}\n`);
    return e.permanent ? 2 : 1;
  }
  const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
  process.stderr.write(`imagechain: internal error: ${message}\n`);
  return 1;
}
