/** `npm run cluster`: starts in the foreground, writes a kubeconfig, serves kubectl, stops cleanly on SIGTERM. */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { kubectlFor } from "./kubectl.ts";
import { until } from "./testing.ts";

const root = resolve(import.meta.dirname, "../..");

describe("standalone cluster script", () => {
  it("serves two nodes and an S3 endpoint, then exits 0 on SIGTERM", async () => {
    const dir = await mkdtemp(join(tmpdir(), "imagechain-standalone-"));
    const kubeconfig = join(dir, "kc");
    const child = spawn(
      process.execPath,
      [
        "scripts/cluster.ts",
        "--nodes",
        "2",
        "--kubeconfig",
        kubeconfig,
        "--s3-port",
        "0",
        "--image",
        "shell=/bin/sh -c",
      ],
      {
        cwd: root,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const out: string[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d.toString()));
    child.stderr.on("data", (d: Buffer) => out.push(d.toString()));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    try {
      await until("ready", () => out.join("").includes("ready;"), 20_000);
      const kubectl = await kubectlFor(await readFile(kubeconfig, "utf8"));
      try {
        const nodes = (await kubectl(["get", "nodes", "-o", "name"])).trim().split("\n");
        expect(nodes).toEqual(["node/node-0", "node/node-1"]);
      } finally {
        await kubectl.cleanup();
      }
      const s3 = /s3\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out.join(""))?.[1];
      expect(s3).toBeDefined();
      expect((await fetch(`${s3}/`)).status).toBe(200);
    } finally {
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      await rm(dir, { recursive: true, force: true });
    }
    expect(out.join("")).toContain("SIGTERM: stopping");
  });
});
