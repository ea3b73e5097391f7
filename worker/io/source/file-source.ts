import { type FileHandle, open } from "node:fs/promises";
import { IoError } from "../errors.ts";
import type { ByteRange, ByteSource } from "./byte-source.ts";
import { checkRange } from "./byte-source.ts";

/** A local file; `path` is absolute, `uri` is what the user wrote (for messages). */
export function fileSource(uri: string, path: string): ByteSource {
  let handle: Promise<{ fh: FileHandle; size: number }> | undefined;
  const opened = () => {
    handle ??= open(path, "r").then(
      async (fh) => ({ fh, size: (await fh.stat()).size }),
      (e: unknown) => {
        throw fsError(e, uri);
      },
    );
    return handle;
  };

  const readOne = async (range: ByteRange, signal?: AbortSignal): Promise<Uint8Array> => {
    const { fh, size } = await opened();
    signal?.throwIfAborted();
    checkRange(uri, range, size);
    const out = new Uint8Array(range.length);
    let done = 0;
    while (done < range.length) {
      const { bytesRead } = await fh
        .read(out, done, range.length - done, range.offset + done)
        .catch((e: unknown) => {
          throw fsError(e, uri);
        });
      if (bytesRead === 0) throw new IoError("corrupt", uri, `file shrank while reading at ${range.offset}`);
      done += bytesRead;
    }
    return out;
  };

  return {
    uri,
    async size(signal) {
      signal?.throwIfAborted();
      return (await opened()).size;
    },
    read(ranges, signal) {
      return Promise.all(ranges.map((r) => readOne(r, signal)));
    },
    async close() {
      if (handle) await (await handle.catch(() => undefined))?.fh.close();
      handle = undefined;
    },
  };
}

function fsError(e: unknown, uri: string): IoError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOENT" || code === "ENOTDIR")
    return new IoError("not-found", uri, "no such file", { cause: e });
  if (code === "EACCES" || code === "EPERM") {
    return new IoError("access-denied", uri, "permission denied", { cause: e });
  }
  if (code === "EISDIR") return new IoError("not-found", uri, "is a directory, not a file", { cause: e });
  return new IoError("transient", uri, `cannot open: ${(e as Error).message}`, { cause: e });
}
