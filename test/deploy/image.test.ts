/**
 * The Dockerfile, checked statically (no container engine here): base image pinned by tag to the Node
 * the tests run on, production dependencies only, a non-root user, and both entry points present with
 * everything they import inside the build context and among the production dependencies.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_COMMAND } from "../../operator/kube/pods.ts";
import { render } from "../helpers/helm.ts";

const ROOT = resolve(import.meta.dirname, "../..");

interface Instruction {
  readonly op: string;
  readonly arg: string;
}
interface Stage {
  readonly from: string;
  readonly name?: string;
  readonly body: Instruction[];
}

/** Stages of a Dockerfile: line continuations joined, comments and parser directives dropped. */
function stages(text: string): Stage[] {
  const lines = text.replace(/\\\n/g, " ").split("\n");
  const out: Stage[] = [];
  for (const line of lines.map((l) => l.trim())) {
    if (line === "" || line.startsWith("#")) continue;
    const [, op, arg] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    if (!op || arg === undefined) throw new Error(`unparsed Dockerfile line: ${line}`);
    if (op.toUpperCase() === "FROM") {
      const [, from, name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(arg) ?? [];
      out.push({ from: from!, ...(name ? { name } : {}), body: [] });
    } else out.at(-1)!.body.push({ op: op.toUpperCase(), arg });
  }
  return out;
}

/** Whether .dockerignore sends a top-level path into the build context (last matching rule wins). */
function inContext(rules: string[], path: string): boolean {
  let included = true;
  for (const rule of rules) {
    const negated = rule.startsWith("!");
    const pattern = (negated ? rule.slice(1) : rule).replace(/\/$/, "");
    const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*")}(/|$)`);
    if (re.test(path)) included = negated;
  }
  return included;
}

/** Specifiers a module loads at run time (type-only imports are erased by type stripping). */
function runtimeImports(source: string): string[] {
  const out: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\s+(?!type\s)[^;]*?\sfrom\s*["']([^"']+)["']/gms,
    /^\s*import\s*["']([^"']+)["']/gm,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const re of patterns) for (const m of source.matchAll(re)) out.push(m[1]!);
  return out;
}

/** The relative files and the packages that `entries` load, transitively. */
async function closure(entries: string[]): Promise<{ files: Set<string>; packages: Set<string> }> {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [...entries];
  while (queue.length) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const spec of runtimeImports(await readFile(file, "utf8"))) {
      if (spec.startsWith(".")) queue.push(resolve(dirname(file), spec));
      else if (!spec.startsWith("node:") && !builtinModules.includes(spec))
        packages.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!);
    }
  }
  return { files, packages };
}

describe("Dockerfile", async () => {
  const all = stages(await readFile(join(ROOT, "Dockerfile"), "utf8"));
  const final = all.at(-1)!;
  const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  const ignore = (await readFile(join(ROOT, ".dockerignore"), "utf8"))
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  const last = (op: string) => final.body.filter((i) => i.op === op).at(-1)?.arg;
  const workdir = last("WORKDIR");
  const entrypoint = JSON.parse(last("ENTRYPOINT") ?? "[]") as string[];

  it("is multi-stage on a slim Node 24 image pinned by tag to the Node the tests run on", () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    for (const s of all) {
      const [, version, variant] = /^node:(\d+\.\d+\.\d+)-(\w+-slim)$/.exec(s.from) ?? [];
      expect(version, `${s.from} is pinned to node:<x.y.z>-<debian>-slim`).toBe(pkg.devDependencies.node);
      expect(variant).toMatch(/slim$/);
    }
    expect(pkg.devDependencies.node).toMatch(/^24\./);
  });

  it("installs production dependencies only, exactly as locked, and runs as a non-root user", () => {
    const runs = all.flatMap((s) => s.body.filter((i) => i.op === "RUN").map((i) => i.arg));
    expect(runs.some((r) => /\bnpm ci\b.*--omit=dev/.test(r))).toBe(true);
    expect(runs.filter((r) => /\bnpm (i|install|ci)\b/.test(r) && !/--omit=dev/.test(r))).toEqual([]);
    expect(final.body.filter((i) => i.op === "RUN")).toEqual([]);
    const user = last("USER");
    expect(user).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
    expect(last("ENV")).toContain("NODE_ENV=production");
  });

  it("loses nothing by --ignore-scripts: no production package has an install script", async () => {
    const lock = JSON.parse(await readFile(join(ROOT, "package-lock.json"), "utf8")) as {
      packages: Record<string, { dev?: boolean; hasInstallScript?: boolean }>;
    };
    const scripted = Object.entries(lock.packages).filter(([, p]) => p.hasInstallScript && !p.dev);
    expect(scripted.map(([name]) => name)).toEqual([]);
    const ci = all.flatMap((s) => s.body).find((i) => i.op === "RUN" && /\bnpm ci\b/.test(i.arg));
    expect(ci?.arg).toContain("--ignore-scripts");
  });

  it("copies only what .dockerignore lets into the context, and that holds both entry points", () => {
    const copied = final.body
      .filter((i) => i.op === "COPY" && !i.arg.startsWith("--from"))
      .flatMap((i) => i.arg.split(/\s+/).slice(0, -1));
    expect(copied.sort()).toEqual(["operator", "package.json", "worker"]);
    for (const path of [...copied, "package-lock.json"]) expect(inContext(ignore, path), path).toBe(true);
    for (const path of ["node_modules", "test", ".git", "crds", "bench", ".work"])
      expect(inContext(ignore, path), path).toBe(false);
    expect(workdir).toBe("/app");
    // The operator's entry point, and the worker's as the operator puts it in its pods (from WORKDIR).
    expect(entrypoint).toEqual(["node", "operator/cli/main.ts"]);
    expect([...DEFAULT_COMMAND]).toEqual(["node", "worker/main.ts"]);
    for (const file of [entrypoint[1]!, DEFAULT_COMMAND[1]]) {
      expect(existsSync(join(ROOT, file)), file).toBe(true);
      expect(inContext(ignore, file.split("/")[0]!)).toBe(true);
    }
  });

  it("ships everything the entry points load: files inside the copied folders, packages from dependencies", async () => {
    const { files, packages } = await closure([join(ROOT, entrypoint[1]!), join(ROOT, DEFAULT_COMMAND[1])]);
    expect(files.size).toBeGreaterThan(50);
    const outside = [...files].map((f) => relative(ROOT, f)).filter((f) => !/^(operator|worker)\//.test(f));
    expect(outside).toEqual([]);
    for (const f of files) expect(existsSync(f), f).toBe(true);
    const dev = [...packages].filter((p) => !(p in pkg.dependencies));
    expect(dev).toEqual([]);
    expect([...packages]).toContain("@kubernetes/client-node");
  });

  it("is what the chart's Deployment runs: the entry point with the operator command", async () => {
    const [deployment] = (await render()).filter((o) => o.kind === "Deployment") as unknown as {
      spec: { template: { spec: { containers: { command: string[] }[] } } };
    }[];
    expect(deployment!.spec.template.spec.containers[0]!.command).toEqual([...entrypoint, "operator"]);
    expect(JSON.parse(last("CMD") ?? "[]")).toEqual(["operator"]);
  });
});
