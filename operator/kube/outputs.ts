/**
 * The chain's outputs as they stand in S3 once the assembly tasks are done: their sizes for the status
 * (`status.outputs`). Only S3 outputs exist for the operator: a pod's own filesystem dies with it.
 */
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { parseS3Uri, s3Client, s3Error, type S3Options } from "../../worker/io/s3.ts";
import type { ImageChainSpec } from "../spec/schema.ts";
import type { OutputStatus } from "./status.ts";

/** The first output a cluster cannot write (not on S3), as a path-named message; null when all can. */
export function unwritableOutput(spec: ImageChainSpec): string | null {
  const i = spec.outputs.findIndex((o) => !o.uri.startsWith("s3://"));
  if (i < 0) return null;
  return `spec.outputs[${i}].uri: '${spec.outputs[i]!.uri}' is not on S3; a worker pod's own filesystem is gone with the pod, so the operator writes outputs to s3:// URIs only (imagechain run writes files)`;
}

/**
 * The outputs' sizes, and the outputs that are missing although their assembly succeeded (deleted since,
 * or written by a worker that did not write them): the chain is complete all the same, the caller says so.
 * Any other S3 error is thrown, for a later reconcile to try again.
 */
export async function outputSizes(
  spec: ImageChainSpec,
  options: S3Options,
): Promise<{ sizes: OutputStatus[]; missing: string[] }> {
  const client = s3Client(options);
  const found = await Promise.all(
    spec.outputs.map(async ({ uri }) => {
      const { bucket, key } = parseS3Uri(uri);
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return { uri, bytes: head.ContentLength ?? 0 };
      } catch (e) {
        const error = s3Error(e, uri);
        if (error.code === "not-found") return { uri, bytes: null };
        throw error;
      }
    }),
  );
  return {
    sizes: found.flatMap((f) => (f.bytes === null ? [] : [{ uri: f.uri, bytes: f.bytes }])),
    missing: found.flatMap((f) => (f.bytes === null ? [f.uri] : [])),
  };
}
