/**
 * s3rver 3.7 implements multipart uploads but not AbortMultipartUpload nor ListMultipartUploads, which
 * are exactly what "a failed write leaves nothing behind" must be checked with. This adds both, on top
 * of s3rver's own upload directories, to every s3rver started after the call (in this test process).
 */
import { readFile, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import S3rver from "s3rver";

interface Ctx {
  method: string;
  path: string;
  querystring: string;
  status: number;
  body: unknown;
  type: string;
  store: { getResourcePath(bucket: string, key: string | undefined, resource: string): string };
}
type Middleware = (ctx: Ctx, next: () => Promise<void>) => Promise<void>;
type Patchable = { prototype: { run(): Promise<unknown>; middleware: Middleware[] } };

const escape = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

const multipartExtensions: Middleware = async (ctx, next) => {
  const query = new URLSearchParams(ctx.querystring);
  const [bucket, ...keyParts] = ctx.path
    .slice(1)
    .split("/")
    .filter((p) => p !== "");
  if (!bucket) return next();
  const uploads = ctx.store.getResourcePath(bucket, undefined, "uploads");
  if (ctx.method === "DELETE" && keyParts.length > 0 && query.has("uploadId")) {
    const id = query.get("uploadId")!;
    const exists = await readdir(uploads).then(
      (ids) => ids.includes(id),
      () => false,
    );
    if (!exists) {
      ctx.status = 404;
      ctx.type = "application/xml";
      ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>no such upload</Message></Error>`;
      return;
    }
    await rm(join(uploads, id), { recursive: true, force: true });
    ctx.status = 204;
    return;
  }
  if (ctx.method === "GET" && keyParts.length === 0 && query.has("uploads")) {
    const ids = await readdir(uploads).catch(() => [] as string[]);
    const entries = await Promise.all(
      ids.map(async (id) => {
        const key = await readFile(join(uploads, id, "key"), "utf8");
        return `<Upload><Key>${escape(key)}</Key><UploadId>${id}</UploadId></Upload>`;
      }),
    );
    ctx.status = 200;
    ctx.type = "application/xml";
    ctx.body =
      `<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
      `<Bucket>${escape(bucket)}</Bucket>${entries.join("")}<IsTruncated>false</IsTruncated></ListMultipartUploadsResult>`;
    return;
  }
  return next();
};

let installed = false;

export function enableMultipartAbortAndList(): void {
  if (installed) return;
  installed = true;
  const proto = (S3rver as unknown as Patchable).prototype;
  const run = proto.run;
  proto.run = function (this: { middleware: Middleware[] }) {
    this.middleware.unshift(multipartExtensions);
    return run.call(this);
  };
}
