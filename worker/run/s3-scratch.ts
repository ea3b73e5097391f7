/**
 * Shared scratch on S3 (a prefix of the chain), for pods: the tiles another lane, a retry elsewhere or the
 * assembly reads. A put is one PutObject, atomic by S3's own rule (a reader sees the whole object or none),
 * so a killed worker never leaves a half tile that looks whole. This module loads the AWS SDK: import it
 * dynamically, only when a chain has an S3 shared area.
 */
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { parseS3Uri, s3Client, s3Error, type S3Options } from "../io/s3.ts";
import { mapLimited } from "./map-limited.ts";
import type { Scratch, ScratchFile } from "./scratch.ts";

/**
 * What `open` fetches at once: a tile's header and its first rows (a halo read of the rows at the top of a
 * neighbour is then this one GET), small enough that a reader wanting only the bottom rows wastes little.
 */
const FIRST_BYTES = 64 * 1024;
/** DeleteObjects takes at most this many keys. */
const DELETE_BATCH = 1000;
/** A listing page (up to 1000 sizes) is used instead of HEADs when it replaces at least this many. */
const HEADS_PER_PAGE = 32;
const HEADS_IN_FLIGHT = 16;

/**
 * The shared area under `prefixUri` (`s3://bucket/prefix/`); every area a caller names is this one
 * (`oneArea`), which is what a composite gives it as its shared half. Missing objects read as null (get,
 * open) or throw a plain error (size: a tile lost before its reader, which a retry after recompute fixes);
 * S3 failures throw IoErrors naming the object's URI (a missing bucket or refused credentials are
 * permanent, network trouble and 5xx transient).
 */
export function s3Scratch(prefixUri: string, options: S3Options = {}): Scratch {
  const { bucket, key } = parseS3Uri(prefixUri);
  const prefix = key.endsWith("/") ? key : `${key}/`;
  const client = s3Client(options);
  const uriOf = (k: string) => `s3://${bucket}/${prefix}${k}`;
  // Sizes of whole "directories" (layers, pyramid levels) listed by `size`: the assembly asks for every
  // tile of a level one after another, and a page of a listing answers a thousand of those at once.
  const listings = new Map<string, Map<string, number>>();

  const send = async <T>(k: string, request: () => Promise<T>): Promise<T> => {
    try {
      return await request();
    } catch (e) {
      throw s3Error(e, uriOf(k));
    }
  };
  /** A GetObject (whole or a range); null when the bucket exists but the key does not. */
  const getObject = async (k: string, range?: string) => {
    try {
      return await client.send(new GetObjectCommand({ Bucket: bucket, Key: prefix + k, Range: range }));
    } catch (e) {
      if ((e as { name?: string }).name === "NoSuchKey") return null;
      throw s3Error(e, uriOf(k));
    }
  };
  const bodyOf = (k: string, res: { Body?: { transformToByteArray(): Promise<Uint8Array> } }) =>
    send(k, () => res.Body!.transformToByteArray());
  /** Size by HEAD; -1 when absent. (A HEAD cannot tell a missing key from a missing bucket: both are 404.) */
  const head = async (k: string): Promise<number> => {
    try {
      const res = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: prefix + k }));
      return res.ContentLength ?? 0;
    } catch (e) {
      const err = s3Error(e, uriOf(k));
      if (err.code === "not-found") return -1;
      throw err;
    }
  };
  /**
   * Sizes of the objects in `dir` after `startAfter` (exclusive), page by page until a page ends at or past
   * `last` or `maxPages` pages are read; returns the last key seen then ("" when nothing past it matters).
   * Pages follow from the last key (StartAfter) rather than a continuation token: same cost, and s3rver,
   * whose tokens need a cipher Node 24 lacks, answers such listings too.
   */
  const list = async (
    dir: string,
    into: Map<string, number>,
    bounds: { startAfter?: string; last?: string; maxPages?: number } = {},
  ): Promise<string> => {
    let after = bounds.startAfter;
    for (let page = 1; ; page++) {
      const res = await send(dir, () =>
        client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix + dir,
            StartAfter: after === undefined ? undefined : prefix + after,
          }),
        ),
      );
      for (const o of res.Contents ?? []) {
        after = o.Key!.slice(prefix.length);
        into.set(after, o.Size ?? 0);
      }
      if (!res.IsTruncated || (bounds.last !== undefined && byteOrder(after!, bounds.last) >= 0)) return "";
      if (page === bounds.maxPages) return after!;
    }
  };
  /** Sizes of those of `keys` that exist: per directory, a bounded listing when it saves HEADs, else HEADs. */
  const sizesOf = async (keys: readonly string[]): Promise<Map<string, number>> => {
    const found = new Map<string, number>();
    const heads: string[] = [];
    for (const [dir, group] of groupByDir(keys)) {
      if (group.length < HEADS_PER_PAGE) {
        heads.push(...group);
        continue;
      }
      const listed = new Map<string, number>();
      // Starting after the first key minus its last character includes the first key itself.
      const first = group[0]!;
      const last = group[group.length - 1]!;
      const maxPages = Math.ceil(group.length / HEADS_PER_PAGE);
      const stoppedAt = await list(dir, listed, { startAfter: first.slice(0, -1), last, maxPages });
      for (const k of group) {
        const size = listed.get(k);
        if (size !== undefined) found.set(k, size);
        else if (stoppedAt !== "" && byteOrder(k, stoppedAt) > 0) heads.push(k);
      }
    }
    const sizes = await mapLimited(heads, HEADS_IN_FLIGHT, head);
    heads.forEach((k, i) => {
      if (sizes[i]! >= 0) found.set(k, sizes[i]!);
    });
    return found;
  };

  return {
    oneArea: true,
    async put(_area, k, chunks) {
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      await send(k, () =>
        client.send(
          new PutObjectCommand({ Bucket: bucket, Key: prefix + k, Body: body, ContentLength: body.length }),
        ),
      );
      listings.get(dirOf(k))?.set(k, body.length);
    },
    async get(k) {
      const res = await getObject(k);
      return res === null ? null : bodyOf(k, res);
    },
    async open(k) {
      const res = await getObject(k, `bytes=0-${FIRST_BYTES - 1}`);
      if (res === null) return null;
      const first = await bodyOf(k, res);
      const total = totalOf(res.ContentRange, first.length);
      return rangedFile(k, first, total, async (position, length) => {
        const part = await getObject(k, `bytes=${position}-${position + length - 1}`);
        if (part === null) throw new Error(`scratch tile ${uriOf(k)} vanished while being read`);
        return bodyOf(k, part);
      });
    },
    async size(k) {
      const dir = dirOf(k);
      let listed = listings.get(dir);
      if (listed === undefined) {
        listed = new Map();
        await list(dir, listed);
        listings.set(dir, listed);
      }
      // Not in the listing: written since (by another worker), or missing.
      const size = listed.get(k) ?? (await head(k));
      if (size < 0) throw new Error(`scratch tile ${uriOf(k)} is missing`);
      return size;
    },
    async remove(_lane, keys) {
      const sizes = await sizesOf(keys);
      const present = [...sizes.keys()];
      for (let i = 0; i < present.length; i += DELETE_BATCH) {
        const batch = present.slice(i, i + DELETE_BATCH);
        const res = await send(batch[0]!, () =>
          client.send(
            new DeleteObjectsCommand({
              Bucket: bucket,
              Delete: { Objects: batch.map((k) => ({ Key: prefix + k })), Quiet: true },
            }),
          ),
        );
        const failed = res.Errors?.[0];
        if (failed) {
          const k = failed.Key?.slice(prefix.length) ?? batch[0]!;
          throw s3Error(
            Object.assign(new Error(failed.Message ?? "delete failed"), { name: failed.Code }),
            uriOf(k),
          );
        }
      }
      for (const k of present) listings.get(dirOf(k))?.delete(k);
      let freed = 0;
      for (const size of sizes.values()) freed += size;
      return freed;
    },
  };
}

/**
 * A ScratchFile over an object whose first bytes are already here: reads inside them cost nothing, any
 * other read is one ranged GET of exactly its bytes (a tile's rows of one band are one range).
 */
function rangedFile(
  key: string,
  first: Uint8Array,
  total: number,
  fetch: (position: number, length: number) => Promise<Uint8Array>,
): ScratchFile {
  return {
    async read(into, position) {
      if (position + into.length > total)
        throw new Error(`scratch tile ${key} ends at ${total}, before ${position + into.length}`);
      if (into.length === 0) return;
      if (position + into.length <= first.length) {
        into.set(first.subarray(position, position + into.length));
        return;
      }
      const bytes = await fetch(position, into.length);
      if (bytes.length !== into.length)
        throw new Error(`scratch tile ${key}: ${bytes.length} bytes at ${position}, expected ${into.length}`);
      into.set(bytes);
    },
    close: async () => undefined,
  };
}

/** The object's size from a ranged GET's `Content-Range: bytes a-b/total` (a whole-object reply has none). */
function totalOf(contentRange: string | undefined, received: number): number {
  const m = contentRange === undefined ? null : /\/(\d+)$/.exec(contentRange);
  return m ? Number(m[1]) : received;
}

function dirOf(key: string): string {
  return key.slice(0, key.lastIndexOf("/") + 1);
}

/** Keys grouped by directory, each group sorted as S3 lists (by UTF-8 bytes) and without repeats. */
function groupByDir(keys: readonly string[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const k of new Set(keys)) {
    const dir = dirOf(k);
    const group = groups.get(dir);
    if (group) group.push(k);
    else groups.set(dir, [k]);
  }
  for (const group of groups.values()) group.sort(byteOrder);
  return groups;
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
