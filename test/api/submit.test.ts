/**
 * `.submit()` end to end: a flow created on the API emulator, run by the operator (in this process, with
 * real worker processes) against s3rver. It resolves Succeeded with progress up to the total and the
 * bytes `.run()` writes for the same flow; a corrupt source rejects naming the tile; an existing chain
 * with the same spec is attached to, one with another spec is refused.
 */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { readFile, rm } from "node:fs/promises";
import type { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { stringify } from "yaml";
import { read, SubmitError, type Flow, type SubmitEvent } from "../../operator/api/index.ts";
import { startController, type Controller } from "../../operator/kube/controller.ts";
import { CRD_FILE } from "../../operator/spec/crd.ts";
import { startCluster, type Cluster } from "../cluster/cluster.ts";
import { kubectlFor, type Kubectl } from "../cluster/kubectl.ts";
import { kubeConfigOf } from "../cluster/testing.ts";
import { startS3, type S3Fixture } from "../helpers/s3rver.ts";
import { makeScene, NDVI, type Scene } from "../run/fixtures.ts";
import { unshadowed, WORKER_COMMAND } from "../helpers/worker-pods.ts";

let s3: S3Fixture;
let scene: Scene;
let cluster: Cluster;
let kubectl: Kubectl;
let controller: Controller;
let kc: KubeConfig;
/** The bytes `.run()` writes for the NDVI flow (the first test makes them). */
let expected: Buffer;

beforeAll(async () => {
  [s3, scene, cluster] = await Promise.all([
    startS3(),
    makeScene(300, 200),
    startCluster({ nodes: 2, images: { "imagechain/worker": { command: WORKER_COMMAND } } }),
  ]);
  await Promise.all([s3.createBucket("src"), s3.createBucket("out")]);
  const bytes = await readFile(scene.path);
  // Full-resolution tile data (overviews come first in a COG), as run-errors.test.ts damages it.
  const damaged = Buffer.from(bytes);
  damaged.fill(0x5a, Math.floor(damaged.length * 0.7), Math.floor(damaged.length * 0.7) + 4096);
  await Promise.all([
    s3.client.send(new PutObjectCommand({ Bucket: "src", Key: "scene.tif", Body: bytes })),
    s3.client.send(new PutObjectCommand({ Bucket: "src", Key: "damaged.tif", Body: damaged })),
  ]);
  kubectl = await kubectlFor(cluster.server.kubeconfig());
  await kubectl(["apply", "-f", CRD_FILE]);
  await kubectl(["wait", "--for=condition=Established", "crd/imagechains.imagechain.io", "--timeout=10s"]);
  await kubectl(["apply", "-f", "-"], secret());
  kc = kubeConfigOf(cluster.server);
  controller = startController({
    kc,
    namespace: "default",
    image: "imagechain/worker:dev",
    command: WORKER_COMMAND,
    credentials: s3.options.credentials,
    decoratePod: unshadowed,
  });
  await controller.synced;
  // For the local engine's `.run()` (the pods get theirs from the chain's credentialsSecret).
  vi.stubEnv("AWS_ACCESS_KEY_ID", "S3RVER");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "S3RVER");
  vi.stubEnv("AWS_REGION", "us-east-1");
}, 60_000);
afterAll(async () => {
  vi.unstubAllEnvs();
  await controller?.stop();
  await cluster?.stop();
  await kubectl?.cleanup();
  await s3?.stop();
  await rm(scene.dir, { recursive: true, force: true });
});

function secret(): string {
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  return stringify({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "s3-creds", namespace: "default" },
    data: { AWS_ACCESS_KEY_ID: b64("S3RVER"), AWS_SECRET_ACCESS_KEY: b64("S3RVER") },
  });
}

/** NDVI then a gaussian, from and to s3rver, in two lanes of small batches. */
function ndviFlow(source: string, output: string): Flow {
  return read(source, { name: "scene" })
    .bandmath({ expression: NDVI }, { name: "ndvi" })
    .convolve({ kernel: { gaussian: { sigma: 1.5 } }, border: "reflect" }, { name: "smooth" })
    .write(output)
    .with({
      tiling: { tileSize: 128 },
      execution: { parallelism: 2, tasksPerPod: 4, retries: { limit: 3, backoffSeconds: 0.1 } },
      storage: {
        s3: {
          endpoint: s3.options.endpoint!,
          region: "us-east-1",
          forcePathStyle: true,
          credentialsSecret: "s3-creds",
        },
      },
    });
}

async function objectBytes(bucket: string, key: string): Promise<Buffer> {
  const res = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

describe("Flow.submit() on the emulator with the operator", () => {
  it("resolves Succeeded with progress up to the total and the bytes of .run()", async () => {
    const chain = ndviFlow("s3://src/scene.tif", "s3://out/ndvi.tif");
    await chain.run({ workers: 2 });
    expected = await objectBytes("out", "ndvi.tif");
    await s3.client.send(new DeleteObjectCommand({ Bucket: "out", Key: "ndvi.tif" }));

    const events: SubmitEvent[] = [];
    const summary = await chain.submit({ kubeconfig: kc, name: "submitted", onEvent: (e) => events.push(e) });
    expect(summary).toMatchObject({ name: "submitted", namespace: "default", phase: "Succeeded" });
    expect(events[0]).toMatchObject({ type: "created", name: "submitted", namespace: "default" });
    const progress = events.flatMap((e) => (e.type === "progress" ? [e] : []));
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((p) => p.total === summary.tasks)).toBe(true);
    const done = progress.map((p) => p.done);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(done.at(-1)).toBe(summary.tasks);
    expect(events.at(-1)).toEqual({ type: "phase", phase: "Succeeded" });
    expect((await objectBytes("out", "ndvi.tif")).equals(expected)).toBe(true);

    // The same spec again attaches to the finished chain; another spec under that name is refused.
    const again: SubmitEvent[] = [];
    const attached = await chain.submit({ kubeconfig: kc, name: "submitted", onEvent: (e) => again.push(e) });
    expect(again[0]).toMatchObject({ type: "attached", uid: summary.uid });
    expect(attached.uid).toBe(summary.uid);
    const other = ndviFlow("s3://src/scene.tif", "s3://out/other.tif");
    const refused = await other.submit({ kubeconfig: kc, name: "submitted" }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SubmitError);
    expect(refused).toMatchObject({ reason: "AlreadyExists", chain: "default/submitted" });
    expect((refused as Error).message).toContain("default/submitted already exists with a different spec");
    console.log(`submit: ${summary.tasks} tasks, ${progress.length} progress events (${done.join(" ")})`);
  }, 60_000);

  it("keeps following across dropped watches and a compacted history (relist), to the same bytes", async () => {
    const chain = ndviFlow("s3://src/scene.tif", "s3://out/dropped.tif");
    let faults = 0;
    const summary = await chain.submit({
      kubeconfig: kc,
      name: "dropped",
      onEvent: (e) => {
        // The first cut resumes from the last resourceVersion, the second finds it compacted away (410).
        if (e.type !== "progress" || faults === 2) return;
        if (faults++ === 1) cluster.faults.compactHistory();
        cluster.faults.dropWatches();
      },
    });
    expect(faults).toBe(2);
    expect(summary.phase).toBe("Succeeded");
    expect((await objectBytes("out", "dropped.tif")).equals(expected)).toBe(true);
  }, 60_000);

  it("rejects when the chain is deleted while it waits", async () => {
    const chain = ndviFlow("s3://src/scene.tif", "s3://out/deleted.tif").with({ suspend: true });
    const error = await chain
      .submit({
        kubeconfig: kc,
        name: "deleted",
        onEvent: (e) => {
          if (e.type === "phase" && e.phase === "Suspended")
            void kubectl(["delete", "imagechain", "deleted"]);
        },
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: "Deleted", chain: "default/deleted" });
  }, 30_000);

  it("rejects with the Failed condition's message, naming the tile, when a source is corrupt", async () => {
    const chain = ndviFlow("s3://src/damaged.tif", "s3://out/corrupt.tif");
    const error = await chain.submit({ kubeconfig: kc, name: "corrupt" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SubmitError);
    expect(error).toMatchObject({ chain: "default/corrupt", reason: "BatchFailed" });
    expect((error as Error).message).toMatch(
      /^imagechain default\/corrupt failed: .*task \d+ \(ndvi, tile \d+,\d+\): s3:\/\/src\/damaged\.tif: block \d+ does not decode/,
    );
  }, 60_000);

  it("stops waiting on abort and on timeoutMs, and the chain keeps running", async () => {
    const chain = ndviFlow("s3://src/scene.tif", "s3://out/waited.tif").with({ suspend: true });
    const aborted = new AbortController();
    const events: SubmitEvent[] = [];
    const waiting = chain.submit({
      kubeconfig: kc,
      name: "waited",
      signal: aborted.signal,
      onEvent: (e) => {
        events.push(e);
        if (e.type === "phase" && e.phase === "Suspended") aborted.abort(new Error("enough"));
      },
    });
    await expect(waiting).rejects.toThrow("enough");
    const timedOut = await chain.submit({ kubeconfig: kc, name: "waited", timeoutMs: 300 }).catch((e) => e);
    expect(timedOut).toMatchObject({ reason: "Timeout", chain: "default/waited" });
    expect(await kubectl(["get", "imagechain", "waited", "-o", "jsonpath={.status.phase}"])).toBe(
      "Suspended",
    );
  }, 30_000);
});
