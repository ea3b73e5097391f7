/**
 * Two lanes of the NDVI + gaussian chain run as pods run them: `worker run` processes, one lane directory
 * per lane (its volume), shared scratch on S3 (s3rver, reached through a counting proxy), S3 settings as a
 * pod gets them (AWS_* environment + the chain's storage.s3 endpoint), batches from the real scheduler and
 * its deletions applied. The COG must equal `imagechain run`'s: cross-lane tiles can only have gone
 * through S3.
 */
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { spawn } from "node:child_process";
import { createServer, request, type Server } from "node:http";
import { readFile, rename, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { plan, type Plan } from "../../operator/plan/plan.ts";
import { keysOf } from "../../worker/run/products.ts";
import { schedule } from "../../operator/schedule/schedule.ts";
import { observe } from "../../operator/schedule/transitions.ts";
import { initialState, type Stimulus } from "../../operator/schedule/types.ts";
import { validateSpec } from "../../operator/spec/validate.ts";
import { s3Scratch } from "../../worker/run/s3-scratch.ts";
import { dirScratch, laneDir } from "../../worker/run/scratch.ts";
import { stackScratch } from "../../worker/run/scratch-stack.ts";
import { openSources, s3OptionsOf } from "../../worker/run/sources.ts";
import { imagechain } from "../helpers/cli.ts";
import { startS3, type S3Fixture } from "../helpers/s3rver.ts";
import { leftIn, makeScene, ndviChain, writeChain, type Scene } from "./fixtures.ts";

const WORKER = join(import.meta.dirname, "../../worker/main.ts");
const SHARED = "s3://scratch/chains/ndvi-1234/";
const ENV = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_REGION: "us-east-1" };

/** Requests that reached S3, as "METHOD top-level-directory-under-the-chain-prefix" (e.g. "PUT ndvi"). */
const requests = new Map<string, number>();

/** A pass-through HTTP proxy in front of s3rver that counts requests (signatures cover the proxy's host). */
function countingProxy(target: string): Promise<Server> {
  const { hostname, port } = new URL(target);
  const server = createServer((req, res) => {
    const path = new URL(req.url!, "http://x").pathname.split("/");
    const what = `${req.method} ${path[1] === "scratch" ? (path[4] ?? "") : path[1]}`;
    requests.set(what, (requests.get(what) ?? 0) + 1);
    const upstream = request(
      { hostname, port, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode!, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", (e) => res.destroy(e));
    req.pipe(upstream);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

function runWorker(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [WORKER, "run", ...args], { env: { ...process.env, ...ENV } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

let s3: S3Fixture;
let proxy: Server;
let scene: Scene;
beforeAll(async () => {
  [s3, scene] = await Promise.all([startS3(), makeScene(520, 390)]);
  await s3.createBucket("scratch");
  proxy = await countingProxy(s3.options.endpoint!);
});
afterAll(async () => {
  await new Promise((resolve) => proxy.close(resolve));
  await s3.stop();
  await rm(scene.dir, { recursive: true, force: true });
});

describe("worker run with shared scratch on S3 (two lanes, two volumes)", () => {
  it("writes the COG imagechain run writes, cross-lane tiles through S3, and leaves nothing behind", async () => {
    const output = join(scene.dir, "ndvi.tif");
    const endpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const doc = ndviChain(scene.uri, pathToFileURL(output).href);
    const chainDoc = {
      ...doc,
      spec: {
        ...doc.spec,
        storage: { s3: { endpoint, region: "us-east-1", forcePathStyle: true } },
        execution: { ...doc.spec.execution, parallelism: 2, tasksPerPod: 8 },
      },
    };
    const chain = await writeChain(scene.dir, "chain.yaml", chainDoc);

    const reference = await imagechain(["run", chain, "--workers", "2"]);
    expect(reference.code, reference.stderr).toBe(0);
    await rename(output, join(scene.dir, "reference.tif"));
    requests.clear();

    const checked = validateSpec(chainDoc.spec);
    if (!checked.ok) throw new Error("invalid spec");
    const spec = checked.value;
    const sources = await openSources(spec, s3OptionsOf(spec));
    const planned = plan(spec, sources.grids, { lanes: 2 });
    await sources.close();
    if (!planned.ok) throw new Error("cannot plan");
    const p: Plan = planned.value;
    expect(p.lanes.crossLaneTiles).toBeGreaterThan(0);

    const volume = (lane: number) => join(scene.dir, `volume-L${lane}`);
    const shared = s3Scratch(SHARED, { ...s3OptionsOf(spec), credentials: s3.options.credentials });
    const scratchOf = (lane: number) => stackScratch(dirScratch(volume(lane)), shared);
    let state = initialState(p.dag.stageStart[p.stages.length]!, p.lanes.count);
    const feed = (s: Stimulus | Stimulus[]) => (state = observe(p, state, s).state);
    let pods = 0;
    let freed = 0;
    for (let round = 0; ; round++) {
      expect(round, "the scheduler never completes").toBeLessThan(100);
      const actions = schedule(p, state, 0);
      if (actions.some((a) => a.type === "Complete")) {
        for (const a of actions)
          if (a.type === "DeleteTiles")
            freed += await scratchOf(a.lane).remove(
              a.lane,
              a.tasks.flatMap((t) => keysOf(p, t)),
            );
        break;
      }
      const started: { batch: string; attempt: number; lane: number; tasks: readonly number[] }[] = [];
      for (const a of actions) {
        if (a.type === "DeleteTiles") {
          freed += await scratchOf(a.lane).remove(
            a.lane,
            a.tasks.flatMap((t) => keysOf(p, t)),
          );
          feed({ type: "TilesDeleted", tasks: a.tasks });
        } else if (a.type === "StartBatch") {
          feed({ type: "BatchStarted", batch: a.batch, lane: a.lane, attempt: a.attempt, tasks: a.tasks });
          started.push(a);
        } else throw new Error(`unexpected action ${a.type}`);
      }
      const runs = await Promise.all(
        started.map((b) =>
          runWorker([
            ...["--chain", chain, "--lanes", "2", "--lane", String(b.lane), "--tasks", b.tasks.join(",")],
            ...["--scratch", volume(b.lane), "--shared", SHARED],
          ]),
        ),
      );
      pods += runs.length;
      runs.forEach((r, i) => {
        expect(r.code, r.stderr).toBe(0);
        feed({ type: "BatchSucceeded", batch: started[i]!.batch, attempt: started[i]!.attempt });
      });
    }

    const bytes = await readFile(output);
    expect(bytes.equals(await readFile(join(scene.dir, "reference.tif")))).toBe(true);
    // The lanes' own tiles stayed on their volumes; what crossed lanes, and the encoded tiles, went by S3.
    expect(requests.get("PUT ndvi") ?? 0).toBeGreaterThan(0);
    expect(requests.get("GET ndvi") ?? 0).toBeGreaterThan(0);
    expect(requests.get("PUT out0") ?? 0).toBeGreaterThan(0);
    expect(freed).toBeGreaterThan(0);
    const left = await s3.client.send(new ListObjectsV2Command({ Bucket: "scratch" }));
    expect(left.Contents ?? []).toEqual([]);
    for (const lane of [0, 1]) {
      const files = await leftIn(laneDir(volume(lane), lane)).catch(() => []);
      expect(
        files.filter((f) => /\.(tile|q|enc|part)$/.test(f)),
        `lane ${lane}`,
      ).toEqual([]);
    }
    const tasks = p.dag.stageStart[p.stages.length]!;
    const counts = [...requests].sort().map(([k, n]) => `${k}: ${n}`);
    console.log(`${pods} pods, ${tasks} tasks, S3 requests: ${counts.join(", ")}`);
  });
});
