/**
 * Where a chain's pods share tiles (block borders, encoded output tiles): an S3 prefix of the chain. By
 * default it sits in the bucket of the chain's first S3 output, under `.imagechain-scratch/`, because the
 * workers can certainly write there; the operator's `--scratch-uri` puts every chain under one prefix
 * instead. The chain's uid in the path keeps apart chains of one name over time.
 */
import { DeleteObjectsCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { parseS3Uri, s3Client, s3Error, type S3Options } from "../../worker/io/s3.ts";
import type { ImageChainSpec } from "../spec/schema.ts";
import type { ChainMeta } from "./meta.ts";

export const SCRATCH_PREFIX = ".imagechain-scratch";

/** `s3://bucket/prefix/<namespace>/<name>-<uid>/`, or null when neither a base nor an S3 output gives one. */
export function sharedScratchUri(spec: ImageChainSpec, chain: ChainMeta, base?: string): string | null {
  const leaf = `${chain.namespace}/${chain.name}-${chain.uid}/`;
  if (base) return `${base.replace(/\/*$/, "/")}${leaf}`;
  const output = spec.outputs.find((o) => o.uri.startsWith("s3://"));
  if (!output) return null;
  return `s3://${parseS3Uri(output.uri).bucket}/${SCRATCH_PREFIX}/${leaf}`;
}

/** Deletes every object under the prefix (the chain is finished); resolves to the number deleted. */
export async function removeSharedScratch(prefixUri: string, options: S3Options): Promise<number> {
  const { bucket, key } = parseS3Uri(prefixUri);
  const client = s3Client(options);
  let deleted = 0;
  try {
    for (;;) {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key }));
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
      if (keys.length === 0) return deleted;
      await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
      deleted += keys.length;
    }
  } catch (e) {
    throw s3Error(e, prefixUri);
  }
}
