/** Timestamps as the API writes them (RFC 3339, whole seconds). */
export function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, "Z");
}
