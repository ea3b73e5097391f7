import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** Command-line arguments may be plain paths; everything below the CLI speaks URIs. */
export function toUri(arg: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(arg) ? arg : pathToFileURL(resolve(arg)).href;
}
