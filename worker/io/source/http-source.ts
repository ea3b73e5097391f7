import { IoError } from "../errors.ts";
import type { ByteRange, ByteSource } from "./byte-source.ts";
import { checkRange } from "./byte-source.ts";

/**
 * An http(s) resource read with Range requests. A server that ignores Range and answers 200 with the
 * whole body is tolerated: that body is kept and every later read is served from it.
 */
export function httpSource(uri: string): ByteSource {
  let whole: Promise<Uint8Array> | undefined;
  let size: Promise<number> | undefined;

  const request = async (headers: Record<string, string>, method: string, signal?: AbortSignal) => {
    let res: Response;
    try {
      res = await fetch(uri, { method, headers, signal });
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      throw new IoError("transient", uri, `request failed: ${(e as Error).message}`, { cause: e });
    }
    if (res.status === 404 || res.status === 410) throw new IoError("not-found", uri, `HTTP ${res.status}`);
    if (res.status === 401 || res.status === 403) {
      throw new IoError("access-denied", uri, `HTTP ${res.status}`);
    }
    if (res.status === 416) throw new IoError("corrupt", uri, "HTTP 416: range past the end");
    if (!res.ok) {
      const code = res.status >= 500 || res.status === 429 ? "transient" : "not-found";
      throw new IoError(code, uri, `HTTP ${res.status} ${res.statusText}`);
    }
    return res;
  };

  const sizeOf = (signal?: AbortSignal) => {
    size ??= (async () => {
      const res = await request({ Range: "bytes=0-0" }, "GET", signal);
      const m = /\/(\d+)$/.exec(res.headers.get("content-range") ?? "");
      if (res.status === 206 && m) {
        await res.body?.cancel();
        return Number(m[1]);
      }
      whole ??= res.bytes();
      return (await whole).byteLength;
    })().catch((e: unknown) => {
      size = undefined;
      throw e;
    });
    return size;
  };

  const readOne = async (range: ByteRange, signal?: AbortSignal): Promise<Uint8Array> => {
    const total = await sizeOf(signal);
    checkRange(uri, range, total);
    if (range.length === 0) return new Uint8Array(0);
    if (!whole) {
      const end = range.offset + range.length - 1;
      const res = await request({ Range: `bytes=${range.offset}-${end}` }, "GET", signal);
      if (res.status === 206) {
        const bytes = await res.bytes();
        if (bytes.byteLength !== range.length) {
          throw new IoError("corrupt", uri, `range at ${range.offset} returned ${bytes.byteLength} bytes`);
        }
        return bytes;
      }
      whole ??= res.bytes();
    }
    const all = await whole;
    return all.subarray(range.offset, range.offset + range.length);
  };

  return {
    uri,
    size: sizeOf,
    read(ranges, signal) {
      return Promise.all(ranges.map((r) => readOne(r, signal)));
    },
    async close() {},
  };
}
