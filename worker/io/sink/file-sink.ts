/**
 * A file sink: bytes go to a hidden temporary name in the destination's directory, which is fsynced and
 * renamed over the destination on close (atomic on one filesystem) and unlinked on abort.
 */
import { randomBytes } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { IoError } from "../errors.ts";
import type { ByteSink } from "./byte-sink.ts";

export function fileError(e: unknown, uri: string): IoError {
  if (e instanceof IoError) return e;
  const code = (e as NodeJS.ErrnoException).code ?? "";
  const detail = (e as Error).message;
  if (code === "ENOENT" || code === "ENOTDIR") return new IoError("not-found", uri, detail, { cause: e });
  if (code === "EACCES" || code === "EPERM" || code === "EROFS") {
    return new IoError("access-denied", uri, detail, { cause: e });
  }
  return new IoError("transient", uri, `write failed: ${detail}`, { cause: e });
}

export async function openFileSink(path: string, uri: string = path): Promise<ByteSink> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  let fh: FileHandle;
  try {
    fh = await open(temp, "wx");
  } catch (e) {
    throw fileError(e, uri);
  }
  let state: "open" | "closed" | "aborted" = "open";
  const removeTemp = async (): Promise<void> => {
    await fh.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
  };
  return {
    async write(chunk) {
      if (state !== "open") throw new IoError("invalid-argument", uri, `write after ${state}`);
      try {
        let done = 0;
        while (done < chunk.length) done += (await fh.write(chunk, done, chunk.length - done)).bytesWritten;
      } catch (e) {
        state = "aborted";
        await removeTemp();
        throw fileError(e, uri);
      }
    },
    async close() {
      if (state !== "open") throw new IoError("invalid-argument", uri, `close after ${state}`);
      state = "closed";
      try {
        await fh.sync();
        await fh.close();
        await rename(temp, path);
      } catch (e) {
        await removeTemp();
        throw fileError(e, uri);
      }
    },
    async abort() {
      if (state !== "open") return;
      state = "aborted";
      await removeTemp();
    },
  };
}
