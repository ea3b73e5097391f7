/**
 * The operator end to end on the API emulator with s3rver and real worker processes: an ImageChain applied
 * with the real kubectl runs to Succeeded, and its output object has the bytes `imagechain run` writes for
 * the same spec; shared scratch is emptied and the recorded pods are gone. A spec the semantic check
 * refuses ends Failed with the field named, and no pod.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { V1Pod } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { Controller } from "../../operator/kube/controller.ts";
import type { Cluster } from "../cluster/cluster.ts";
import type { Kubectl } from "../cluster/kubectl.ts";
import { until } from "../cluster/testing.ts";
import { imagechain } from "../helpers/cli.ts";
import { scratchLocality } from "../helpers/pod-logs.ts";
import type { S3Fixture } from "../helpers/s3rver.ts";
import { failAtOnce, startWorld, type World } from "../helpers/operator-world.ts";
import { makeScene, writeChain, type Scene } from "../run/fixtures.ts";

const MAIN = join(import.meta.dirname, "../../operator/cli/main.ts");
const ENV = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_REGION: "us-east-1" };

let s3: S3Fixture;
let scene: Scene;
let cluster: Cluster;
let kubectl: Kubectl;
let controller: Controller;
const errors: string[] = [];
/** The bytes of `imagechain run` on the chain (the first test makes them; the output URI is not in them). */
let expected: Buffer;
/** Every pod the operator created. */
const created: V1Pod[] = [];
/** Pods made to exit 1 at once, as a transient failure would. */
const failing = new Set<string>();

let world: World;

beforeAll(async () => {
  world = await startWorld();
  ({ s3, scene, cluster, kubectl } = world);
  controller = startOperator();
  await controller.synced;
});
afterAll(async () => {
  await controller?.stop();
  await world?.stop();
});

/** The operator in this process; pods named in `failing` exit 1 at once. */
const startOperator = (): Controller =>
  world.startOperator({
    adjust: (pod) => {
      created.push(pod);
      if (failing.has(pod.metadata!.name!)) failAtOnce(pod);
    },
    onError: (key, e) => errors.push(`${key}: ${String(e)}`),
  });

/** The NDVI + gaussian chain reading s3://src/scene.tif, on s3rver, in two lanes of small batches. */
const chainDoc = (name: string, output: string) => world.chainDoc(name, output);

interface Chain {
  metadata: { uid: string };
  status?: {
    phase?: string;
    progress?: string;
    outputs?: { uri: string; bytes: number }[];
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
}

async function getChain(name: string): Promise<Chain> {
  return JSON.parse(await kubectl(["get", "imagechain", name, "-o", "json"])) as Chain;
}

async function objectBytes(bucket: string, key: string): Promise<Buffer> {
  const res = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

/** Waits until the chain has finished either way. */
function finished(name: string, timeoutMs: number): Promise<Chain> {
  return until(
    `${name} finishes`,
    async () => {
      const c = await getChain(name);
      return c.status?.phase === "Succeeded" || c.status?.phase === "Failed" ? c : undefined;
    },
    timeoutMs,
  );
}

/** Applies the chain and waits until it has finished either way. */
async function runToEnd(doc: ReturnType<typeof chainDoc>): Promise<Chain> {
  await kubectl(["apply", "-f", "-"], stringify(doc));
  return finished(doc.metadata.name, 60_000);
}

async function chainPods(uid: string): Promise<string[]> {
  const out = await kubectl(["get", "pods", "-l", `imagechain.io/chain-uid=${uid}`, "-o", "name"]);
  return out.split("\n").filter(Boolean);
}

describe("imagechain operator on the emulator", () => {
  it("runs an applied chain to Succeeded with the bytes of imagechain run, and cleans up", async () => {
    const doc = chainDoc("ndvi-e2e", "s3://out/ndvi.tif");
    const file = await writeChain(scene.dir, "chain.yaml", doc);
    const reference = await imagechain(["run", file, "--workers", "2"], ENV);
    expect(reference.code, reference.stderr).toBe(0);
    expected = await objectBytes("out", "ndvi.tif");
    await s3.client.send(new DeleteObjectCommand({ Bucket: "out", Key: "ndvi.tif" }));

    expect(await kubectl(["apply", "-f", file])).toContain("imagechain.imagechain.io/ndvi-e2e created");
    const done = await finished("ndvi-e2e", 90_000);
    expect(done.status!.phase, JSON.stringify(done.status?.conditions)).toBe("Succeeded");
    const [done0, total] = done.status!.progress!.split("/").map(Number);
    expect(done0).toBe(total);
    expect((await objectBytes("out", "ndvi.tif")).equals(expected)).toBe(true);
    expect(done.status!.outputs).toEqual([{ uri: "s3://out/ndvi.tif", bytes: expected.length }]);
    const scratch = await s3.client.send(
      new ListObjectsV2Command({ Bucket: "out", Prefix: ".imagechain-scratch/" }),
    );
    expect(scratch.Contents ?? []).toEqual([]);
    await until(
      "the recorded pods are deleted",
      async () => (await chainPods(done.metadata.uid)).length === 0,
      20_000,
    );
    // Both lanes ran pods, each on its own claim; the claims are collected (operator-gc.test.ts).
    const mine = created.filter((p) => p.metadata!.name!.startsWith("ndvi-e2e-"));
    expect(new Set(mine.map((p) => p.metadata!.labels!["imagechain.io/lane"]))).toEqual(new Set(["0", "1"]));
    expect(
      new Set(mine.flatMap((p) => p.spec!.volumes!.flatMap((v) => v.persistentVolumeClaim?.claimName ?? [])))
        .size,
    ).toBe(2);
    const pods = mine.length;
    // Work goes to where its data is: once a lane's first pod has landed, its later pods are pinned there.
    for (const lane of ["0", "1"]) {
      const nodes = mine
        .filter((p) => p.metadata!.labels!["imagechain.io/lane"] === lane)
        .map((p) => p.spec!.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution)
        .map((r) => r?.nodeSelectorTerms[0]?.matchExpressions?.[0]?.values?.[0] ?? null);
      expect(nodes.length, `lane ${lane}`).toBeGreaterThan(1);
      expect(nodes.at(-1), `lane ${lane}`).not.toBeNull();
      expect(new Set(nodes.filter((n) => n !== null)).size, `lane ${lane}`).toBe(1);
    }
    const locality = await scratchLocality(cluster.root);
    expect(locality.lane, "the workers report their scratch reads").toBeGreaterThan(0);
    console.log(
      `${total} tasks, ${pods} pods, progress ${done.status!.progress}, reconcile errors: ${errors.length}; ${locality.lane + locality.shared} intermediate tile bytes read (the locality test measures their share)`,
    );
  }, 120_000);

  it("reads intermediate tiles on the node that wrote them (locality), on a larger chain", async () => {
    const big = await makeScene(768, 768, 11);
    await s3.client.send(
      new PutObjectCommand({ Bucket: "src", Key: "big.tif", Body: await readFile(big.path) }),
    );
    const base = world.chainDoc("locality", "s3://out/locality.tif", { tileSize: 64, tasksPerPod: 32 });
    const doc = { ...base, spec: { ...base.spec, sources: { scene: { uri: "s3://src/big.tif" } } } };
    const before = await scratchLocality(cluster.root);
    const done = await runToEnd(doc);
    expect(done.status!.phase, JSON.stringify(done.status?.conditions)).toBe("Succeeded");
    const after = await scratchLocality(cluster.root);
    const lane = after.lane - before.lane;
    const shared = after.shared - before.shared;
    const share = lane / (lane + shared);
    console.log(
      `locality: ${(100 * share).toFixed(1)} % of ${lane + shared} intermediate tile bytes (${done.status!.progress} tasks, 2 lanes) read on the node that wrote them (target ≥ 95 %)`,
    );
    expect(share).toBeGreaterThanOrEqual(0.95);
  }, 120_000);

  it("retries a batch whose pod failed transiently, and the output is unchanged", async () => {
    const doc = chainDoc("retry", "s3://out/retry.tif");
    // Made suspended first: pod names hold a prefix of the uid, known once the chain exists.
    await kubectl(["apply", "-f", "-"], stringify({ ...doc, spec: { ...doc.spec, suspend: true } }));
    const suspended = await until("the chain is Suspended", async () => {
      const c = await getChain("retry");
      return c.status?.phase === "Suspended" ? c : undefined;
    });
    const uid = suspended.metadata.uid;
    expect(await chainPods(uid)).toEqual([]);
    const prefix = `retry-${uid.replace(/[^a-z0-9]/g, "").slice(0, 5)}`;
    failing.add(`${prefix}-l0-b1-a1`);
    failing.add(`${prefix}-l1-b0-a1`);
    const done = await runToEnd(doc);
    expect(done.status!.phase, JSON.stringify(done.status?.conditions)).toBe("Succeeded");
    expect((await objectBytes("out", "retry.tif")).equals(expected)).toBe(true);
    const names = created.map((p) => p.metadata!.name!).filter((n) => n.startsWith(prefix));
    expect(names).toEqual(expect.arrayContaining([`${prefix}-l0-b1-a2`, `${prefix}-l1-b0-a2`]));
    // The failed first attempts stay for their logs (until ttlSecondsAfterFinished, not yet collected).
    expect((await chainPods(uid)).sort()).toEqual([`pod/${prefix}-l0-b1-a1`, `pod/${prefix}-l1-b0-a1`]);
  }, 90_000);

  it("takes suspend and a parallelism change live: no new pod while suspended, one lane's pods at a time after", async () => {
    const doc = chainDoc("live", "s3://out/live.tif");
    await kubectl(["apply", "-f", "-"], stringify(doc));
    const uid = (await until("the chain exists", () => getChain("live").catch(() => undefined))).metadata.uid;
    const mine = () => created.filter((p) => p.metadata!.labels!["imagechain.io/chain-uid"] === uid);
    await until("its first pods exist", () => mine().length > 0, 20_000);
    await kubectl(["patch", "imagechain", "live", "--type=merge", "-p", '{"spec":{"suspend":true}}']);
    await until(
      "the chain is Suspended",
      async () => (await getChain("live")).status?.phase === "Suspended",
      30_000,
    );
    const whileSuspended = mine().length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(mine().length, "no pod is created while suspended").toBe(whileSuspended);
    expect((await getChain("live")).status!.phase).toBe("Suspended");

    // Resumed with one pod at a time: from now on, never two of the chain's pods running at once.
    const resumedAt = mine().length;
    await kubectl([
      "patch",
      "imagechain",
      "live",
      "--type=merge",
      "-p",
      '{"spec":{"suspend":false,"execution":{"parallelism":1}}}',
    ]);
    let most = 0;
    const done = await until(
      "the chain finishes",
      async () => {
        const phases = await kubectl([
          ...["get", "pods", "-l", `imagechain.io/chain-uid=${uid}`],
          ...["-o", "jsonpath={.items[*].status.phase}"],
        ]);
        const live = phases.split(" ").filter((p) => p === "Pending" || p === "Running").length;
        most = Math.max(most, live);
        const c = await getChain("live");
        return c.status?.phase === "Succeeded" || c.status?.phase === "Failed" ? c : undefined;
      },
      60_000,
    );
    expect(done.status!.phase, JSON.stringify(done.status?.conditions)).toBe("Succeeded");
    expect((await objectBytes("out", "live.tif")).equals(expected)).toBe(true);
    expect(mine().length).toBeGreaterThan(resumedAt);
    expect(most, "pods of the chain pending or running at once after parallelism 1").toBeLessThanOrEqual(1);
  }, 90_000);

  it("a status it cannot continue from is kept and marked Stalled, not retried forever", async () => {
    const doc = chainDoc("odd", "s3://out/odd.tif");
    await kubectl(["apply", "-f", "-"], stringify({ ...doc, spec: { ...doc.spec, suspend: true } }));
    await until("the chain is Suspended", async () => (await getChain("odd")).status?.phase === "Suspended");
    // As another version of imagechain might have written it: stages this plan does not have.
    const odd = { stages: [{ name: "elsewhere", steps: [], tiles: 1, succeeded: 0, done: "AA" }] };
    await kubectl([
      "patch",
      "imagechain",
      "odd",
      "--subresource=status",
      "--type=merge",
      "-p",
      JSON.stringify({ status: odd }),
    ]);
    const stalled = await until("the chain is Stalled", async () => {
      const c = await getChain("odd");
      return c.status?.conditions?.find((x) => x.type === "Stalled" && x.status === "True") ? c : undefined;
    });
    const condition = stalled.status!.conditions!.find((c) => c.type === "Stalled")!;
    expect(condition.reason).toBe("StatusMismatch");
    expect(condition.message).toContain("does not fit this chain's plan");
    expect(JSON.stringify(stalled.status)).toContain("elsewhere");
  }, 30_000);

  it("resumes after the operator stops mid-run, from the status and the pods it finds", async () => {
    const doc = chainDoc("restart", "s3://out/restart.tif");
    await kubectl(["apply", "-f", "-"], stringify(doc));
    const uid = (await until("the chain exists", () => getChain("restart").catch(() => undefined))).metadata
      .uid;
    await until("its first pods exist", async () => (await chainPods(uid)).length > 0, 20_000);
    await controller.stop();
    const before = created.filter((p) => p.metadata!.name!.startsWith("restart-")).length;
    // Meanwhile the pods finish with no operator to see them.
    await until(
      "the first pods finish",
      async () => {
        const phases = await kubectl([
          "get",
          "pods",
          "-l",
          `imagechain.io/chain-uid=${uid}`,
          "-o",
          "jsonpath={.items[*].status.phase}",
        ]);
        return phases.split(" ").every((p) => p === "Succeeded" || p === "Failed");
      },
      20_000,
    );
    controller = startOperator();
    await controller.synced;
    const done = await finished("restart", 60_000);
    expect(done.status!.phase, JSON.stringify(done.status?.conditions)).toBe("Succeeded");
    expect((await objectBytes("out", "restart.tif")).equals(expected)).toBe(true);
    const names = created.map((p) => p.metadata!.name!).filter((n) => n.startsWith("restart-"));
    // No pod name made twice: the new operator did not start again what the first one had started.
    expect(new Set(names).size).toBe(names.length);
    console.log(`restart: ${before} pods before the stop, ${names.length} in all`);
  }, 90_000);

  it("imagechain operator (the CLI, one namespace) fails a chain the semantic check refuses, naming the field, with no pod", async () => {
    const config = join(scene.dir, "kubeconfig");
    await writeFile(config, cluster.server.kubeconfig());
    await kubectl(["apply", "-f", "-"], "apiVersion: v1\nkind: Namespace\nmetadata: { name: cli }\n");
    const cli = spawn(process.execPath, [MAIN, "operator", "--kubeconfig", config, "--namespace", "cli"], {
      env: { ...process.env, ...ENV },
    });
    let stderr = "";
    cli.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => cli.on("close", resolve));
    try {
      const doc = chainDoc("bad-input", "s3://out/bad.tif");
      const steps = [doc.spec.steps[0]!, { ...doc.spec.steps[1]!, inputs: { im: "nowhere" } }];
      const bad = { ...doc, metadata: { name: "bad-input", namespace: "cli" }, spec: { ...doc.spec, steps } };
      await kubectl(["apply", "-f", "-"], stringify(bad));
      const failed = await until(
        "the chain fails",
        async () => {
          const c = JSON.parse(
            await kubectl(["get", "imagechain", "bad-input", "-n", "cli", "-o", "json"]),
          ) as Chain;
          return c.status?.phase === "Failed" ? c : undefined;
        },
        20_000,
      ).catch((e: Error) => {
        throw new Error(`${e.message}\n${stderr}`);
      });
      const condition = failed.status!.conditions!.find((c) => c.type === "Failed")!;
      expect(condition.status).toBe("True");
      expect(condition.reason).toBe("InvalidSpec");
      expect(condition.message).toContain("spec.steps[1].inputs");

      // An output a pod cannot write (its filesystem dies with it) is refused the same way.
      const local = { ...doc, metadata: { name: "file-output", namespace: "cli" } };
      local.spec = { ...doc.spec, outputs: [{ ...doc.spec.outputs[0]!, uri: "file:///tmp/ndvi.tif" }] };
      await kubectl(["apply", "-f", "-"], stringify(local));
      const refused = await until("the file output is refused", async () => {
        const c = JSON.parse(
          await kubectl(["get", "imagechain", "file-output", "-n", "cli", "-o", "json"]),
        ) as Chain;
        return c.status?.phase === "Failed" ? c : undefined;
      });
      expect(refused.status!.conditions!.find((c) => c.type === "Failed")!.message).toContain(
        "spec.outputs[0].uri: 'file:///tmp/ndvi.tif' is not on S3",
      );
      const pods = await kubectl(["get", "pods", "-n", "cli", "-o", "name"]);
      expect(pods.trim()).toBe("");
    } finally {
      cli.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    expect(stderr).toContain('"msg":"operator started"');
    // The logs are pino JSON with the chain they are about.
    expect(stderr).toMatch(/"chain":"cli\/bad-input","phase":"Failed".*"msg":"phase"/);
  }, 30_000);

  it("fails a chain whose source has a corrupt tile, naming the source and the tile, without retrying", async () => {
    const bytes = Buffer.from(await readFile(scene.path));
    // Full-resolution tile data (overviews come first in a COG), as run-errors.test.ts damages it.
    bytes.fill(0x5a, Math.floor(bytes.length * 0.7), Math.floor(bytes.length * 0.7) + 4096);
    await s3.client.send(new PutObjectCommand({ Bucket: "src", Key: "damaged.tif", Body: bytes }));
    const doc = chainDoc("corrupt", "s3://out/corrupt.tif");
    const file = join(scene.dir, "corrupt.yaml");
    await writeFile(
      file,
      stringify({ ...doc, spec: { ...doc.spec, sources: { scene: { uri: "s3://src/damaged.tif" } } } }),
    );
    await kubectl(["apply", "-f", file]);
    const failed = await until(
      "the chain fails",
      async () => {
        const c = await getChain("corrupt");
        return c.status?.phase === "Failed" || c.status?.phase === "Succeeded" ? c : undefined;
      },
      60_000,
    );
    const condition = failed.status!.conditions!.find((c) => c.type === "Failed")!;
    expect(condition.status, JSON.stringify(failed.status)).toBe("True");
    expect(condition.message).toMatch(
      /failed permanently: pod \S+: task \d+ \(ndvi, tile \d+,\d+\): s3:\/\/src\/damaged\.tif: block \d+ does not decode/,
    );
    // No attempt 2 of any batch: a permanent failure is not retried. The failed pods stay for their logs.
    const left = await chainPods(failed.metadata.uid);
    expect(left.length).toBeGreaterThan(0);
    expect(left.filter((n) => !/-a1$/.test(n))).toEqual([]);
    const phases = await kubectl([
      "get",
      "pods",
      "-l",
      `imagechain.io/chain-uid=${failed.metadata.uid}`,
      "-o",
      "jsonpath={.items[*].status.phase}",
    ]);
    await until(
      "only failed pods are left",
      async () => {
        const now = await kubectl([
          "get",
          "pods",
          "-l",
          `imagechain.io/chain-uid=${failed.metadata.uid}`,
          "-o",
          "jsonpath={.items[*].status.phase}",
        ]);
        return now.split(" ").every((p) => p === "Failed");
      },
      20_000,
    );
    console.log(`corrupt source: pods left ${left.length} (${phases}); ${condition.message}`);
  }, 90_000);
});
