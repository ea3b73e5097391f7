/** A chain as users write it: a full ImageChain resource (apiVersion, kind, metadata, spec) or a bare spec. */
export interface ManifestParts {
  readonly spec: unknown;
  /** The resource's metadata; null for a bare spec. */
  readonly metadata: { readonly name?: string; readonly namespace?: string } | null;
}

export function manifestParts(doc: unknown): ManifestParts {
  if (doc !== null && typeof doc === "object" && "spec" in doc && "kind" in doc) {
    const meta = (doc as { metadata?: unknown }).metadata;
    const metadata = meta !== null && typeof meta === "object" ? (meta as ManifestParts["metadata"]) : {};
    return { spec: doc.spec, metadata };
  }
  return { spec: doc, metadata: null };
}
