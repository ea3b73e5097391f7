import type { ByteRange, ByteSource } from "./byte-source.ts";
import { checkRange } from "./byte-source.ts";
import { PromiseLru } from "./promise-lru.ts";

export interface CacheOptions {
  /** Bytes per cached block; reads are aligned to blocks. */
  readonly blockSize?: number;
  /** Bound on the bytes kept by the LRU (blocks in flight are not counted). */
  readonly maxBytes?: number;
  /** Missing blocks closer than this are fetched in one request, gap included. */
  readonly gapBytes?: number;
  /** A merged request stops growing at this size, so large reads still go out as parallel requests. */
  readonly maxRequestBytes?: number;
  /**
   * Ranges at least this long (typically whole tiles) bypass the block cache: they are coalesced the
   * same way but handed out without being copied into blocks, and do not evict the headers.
   */
  readonly bypassBytes?: number;
}

const DEFAULTS = {
  blockSize: 64 * 1024,
  maxBytes: 64 * 1024 * 1024,
  gapBytes: 128 * 1024,
  maxRequestBytes: 8 * 1024 * 1024,
  bypassBytes: 512 * 1024,
};

/**
 * Wrap a source with an LRU of fixed-size blocks and coalescing: the blocks that a read needs and
 * the cache lacks are grouped into few large requests (nearby gaps are filled rather than paid for
 * with another round trip). Concurrent reads of the same block share one request.
 */
export function cachedSource(inner: ByteSource, options: CacheOptions = {}): ByteSource {
  const { blockSize, maxBytes, gapBytes, maxRequestBytes, bypassBytes } = { ...DEFAULTS, ...options };
  const gapBlocks = Math.floor(gapBytes / blockSize);
  const runBlocks = Math.max(1, Math.floor(maxRequestBytes / blockSize));
  const blocks = new PromiseLru<number, Uint8Array>(maxBytes, (b) => b.byteLength);

  const fetchRuns = (missing: number[], total: number, signal?: AbortSignal) => {
    const runs: { first: number; last: number }[] = [];
    for (const index of missing) {
      const run = runs.at(-1);
      if (run && index - run.last - 1 <= gapBlocks && index - run.first < runBlocks) run.last = index;
      else runs.push({ first: index, last: index });
    }
    const ranges = runs.map(({ first, last }) => {
      const offset = first * blockSize;
      return { offset, length: Math.min((last + 1) * blockSize, total) - offset };
    });
    const reads = inner.read(ranges, signal);
    runs.forEach(({ first, last }, r) => {
      for (let index = first; index <= last; index++) {
        const block = reads.then((bufs) => {
          const start = (index - first) * blockSize;
          return bufs[r]!.slice(start, start + blockSize);
        });
        blocks.set(index, block);
      }
    });
  };

  /** Large ranges: merged when close (gap bytes are fetched and dropped), returned as views. */
  const readDirect = async (wanted: ByteRange[], signal?: AbortSignal): Promise<Uint8Array[]> => {
    if (wanted.length === 0) return [];
    const order = wanted.map((_, i) => i).sort((a, b) => wanted[a]!.offset - wanted[b]!.offset);
    const merged: { offset: number; end: number; members: number[] }[] = [];
    for (const i of order) {
      const r = wanted[i]!;
      const m = merged.at(-1);
      const end = r.offset + r.length;
      if (m && r.offset - m.end <= gapBytes && Math.max(m.end, end) - m.offset <= maxRequestBytes) {
        m.end = Math.max(m.end, end);
        m.members.push(i);
      } else {
        merged.push({ offset: r.offset, end, members: [i] });
      }
    }
    const bufs = await inner.read(
      merged.map((m) => ({ offset: m.offset, length: m.end - m.offset })),
      signal,
    );
    const out = new Array<Uint8Array>(wanted.length);
    merged.forEach((m, k) => {
      for (const i of m.members) {
        const start = wanted[i]!.offset - m.offset;
        out[i] = bufs[k]!.subarray(start, start + wanted[i]!.length);
      }
    });
    return out;
  };

  return {
    uri: inner.uri,
    size: (signal) => inner.size(signal),
    async read(ranges, signal) {
      const total = await inner.size(signal);
      const needed = new Set<number>();
      const large: number[] = [];
      for (const [i, r] of ranges.entries()) {
        checkRange(inner.uri, r, total);
        if (r.length >= bypassBytes) {
          large.push(i);
          continue;
        }
        const last = Math.floor((r.offset + r.length - 1) / blockSize);
        for (let index = Math.floor(r.offset / blockSize); index <= last; index++) needed.add(index);
      }
      const missing = [...needed].filter((index) => !blocks.get(index)).sort((a, b) => a - b);
      if (missing.length > 0) fetchRuns(missing, total, signal);
      // Take the promises now: a long read may evict its own first blocks before it assembles.
      const pending = [...needed].map((index) => [index, blocks.get(index)!] as const);
      const direct = readDirect(
        large.map((i) => ranges[i]!),
        signal,
      );
      const settle = async (index: number, block: Promise<Uint8Array>): Promise<Uint8Array> => {
        try {
          return await block;
        } catch (e) {
          // A block shared with a reader that was aborted must not fail this one: fetch it again.
          if (signal?.aborted || (e as Error | undefined)?.name !== "AbortError") throw e;
          fetchRuns([index], total, signal);
          return blocks.get(index)!;
        }
      };
      const got = new Map<number, Uint8Array>();
      const [bypassed] = await Promise.all([
        direct,
        Promise.all(pending.map(async ([index, block]) => got.set(index, await settle(index, block)))),
      ]);
      const out = ranges.map((r) =>
        r.length >= bypassBytes ? new Uint8Array(0) : assemble(r, got, blockSize),
      );
      large.forEach((i, k) => (out[i] = bypassed[k]!));
      return out;
    },
    close: () => inner.close(),
  };
}

function assemble(range: ByteRange, got: Map<number, Uint8Array>, blockSize: number): Uint8Array {
  const first = Math.floor(range.offset / blockSize);
  const start = range.offset - first * blockSize;
  if (start + range.length <= blockSize)
    return got.get(first)?.subarray(start, start + range.length) ?? new Uint8Array(0);
  const out = new Uint8Array(range.length);
  let done = 0;
  for (let index = first; done < range.length; index++) {
    const from = index === first ? start : 0;
    const piece = got.get(index)!.subarray(from, from + range.length - done);
    out.set(piece, done);
    done += piece.byteLength;
  }
  return out;
}
