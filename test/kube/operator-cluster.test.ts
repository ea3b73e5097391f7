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
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { V1Pod } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { startController, type Controller } from "../../operator/kube/controller.ts";
import { CRD_FILE } from "../../operator/spec/crd.ts";
import { startCluster, type Cluster } from "../cluster/cluster.ts";
import { kubectlFor, type Kubectl } from "../cluster/kubectl.ts";
import { kubeConfigOf, until } from "../cluster/testing.ts";
import { imagechain } from "../helpers/cli.ts";
import { startS3, type S3Fixture } from "../helpers/s3rver.ts";
import { makeScene, ndviChain, writeChain, type Scene } from "../run/fixtures.ts";

const WORKER = join(import.meta.dirname, "../../worker/main.ts");
const ENV = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_REGION: "us-east-1" };

let s3: S3Fixture;
let scene: Scene;
let cluster: Cluster;
let kubectl: Kubectl;
let controller: Controller;
const errors: string[] = [];
/** Every pod the operator created, by lane. */
const created = new Map<string, number>();

beforeAll(async () => {
  [s3, scene, cluster] = await Promise.all([
    startS3(),
    makeScene(300, 200),
    startCluster({ nodes: 2, images: { "imagechain/worker": { command: [process.execPath, WORKER] } } }),
  ]);
  await Promise.all([s3.createBucket("src"), s3.createBucket("out")]);
  await s3.client.send(
    new PutObjectCommand({ Bucket: "src", Key: "scene.tif", Body: await readFile(scene.path) }),
  );
  kubectl = await kubectlFor(cluster.server.kubeconfig());
  await kubectl(["apply", "-f", CRD_FILE]);
  await kubectl(["wait", "--for=condition=Established", "crd/imagechains.imagechain.io", "--timeout=10s"]);
  await kubectl(["apply", "-f", "-"], secret());
  controller = startController({
    kc: kubeConfigOf(cluster.server),
    namespace: "default",
    image: "imagechain/worker:dev",
    command: [process.execPath, WORKER],
    credentials: s3.options.credentials,
    decoratePod: (pod) => {
      const lane = pod.metadata!.labels!["imagechain.io/lane"]!;
      created.set(lane, (created.get(lane) ?? 0) + 1);
      return unshadowed(pod);
    },
    onError: (key, e) => errors.push(`${key}: ${String(e)}`),
  });
  await controller.synced;
});
afterAll(async () => {
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

/** The NDVI + gaussian chain reading s3://src/scene.tif, on s3rver, in two lanes of small batches. */
function chainDoc(name: string, output: string) {
  const doc = ndviChain("s3://src/scene.tif", output, { tasksPerPod: 4 });
  return {
    ...doc,
    metadata: { name, namespace: "default" },
    spec: {
      ...doc.spec,
      storage: {
        s3: {
          endpoint: s3.options.endpoint!,
          region: "us-east-1",
          forcePathStyle: true,
          credentialsSecret: "s3-creds",
        },
      },
      execution: { ...doc.spec.execution, parallelism: 2 },
    },
  };
}

interface Chain {
  metadata: { uid: string };
  status?: {
    phase?: string;
    progress?: string;
    conditions?: { type: string; status: string; message: string }[];
  };
}

async function getChain(name: string): Promise<Chain> {
  return JSON.parse(await kubectl(["get", "imagechain", name, "-o", "json"])) as Chain;
}

async function objectBytes(bucket: string, key: string): Promise<Buffer> {
  const res = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
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
    const expected = await objectBytes("out", "ndvi.tif");
    await s3.client.send(new DeleteObjectCommand({ Bucket: "out", Key: "ndvi.tif" }));

    expect(await kubectl(["apply", "-f", file])).toContain("imagechain.imagechain.io/ndvi-e2e created");
    const done = await until(
      "the chain finishes",
      async () => {
        const c = await getChain("ndvi-e2e");
        return c.status?.phase === "Succeeded" || c.status?.phase === "Failed" ? c : undefined;
      },
      90_000,
    );
    expect(done.status!.phase, JSON.stringify(done.status?.conditions)).toBe("Succeeded");
    const [done0, total] = done.status!.progress!.split("/").map(Number);
    expect(done0).toBe(total);
    expect((await objectBytes("out", "ndvi.tif")).equals(expected)).toBe(true);
    const scratch = await s3.client.send(
      new ListObjectsV2Command({ Bucket: "out", Prefix: ".imagechain-scratch/" }),
    );
    expect(scratch.Contents ?? []).toEqual([]);
    await until(
      "the recorded pods are deleted",
      async () => (await chainPods(done.metadata.uid)).length === 0,
      20_000,
    );
    // Both lanes ran pods, each on its own claim (lane volumes are not yet collected: a known gap).
    expect([...created.keys()].sort()).toEqual(["0", "1"]);
    const claims = await kubectl([
      "get",
      "pvc",
      "-l",
      `imagechain.io/chain-uid=${done.metadata.uid}`,
      "-o",
      "name",
    ]);
    expect(claims.trim().split("\n")).toHaveLength(2);
    const pods = [...created.values()].reduce((a, b) => a + b, 0);
    console.log(
      `${total} tasks, ${pods} pods, progress ${done.status!.progress}, reconcile errors: ${errors.length}`,
    );
  }, 120_000);

  it("fails a chain the semantic check refuses, naming the field, and starts no pod", async () => {
    const doc = chainDoc("bad-input", "s3://out/bad.tif");
    const steps = [doc.spec.steps[0]!, { ...doc.spec.steps[1]!, inputs: { im: "nowhere" } }];
    await kubectl(["apply", "-f", "-"], stringify({ ...doc, spec: { ...doc.spec, steps } }));
    const failed = await until(
      "the chain fails",
      async () => {
        const c = await getChain("bad-input");
        return c.status?.phase === "Failed" ? c : undefined;
      },
      20_000,
    );
    const condition = failed.status!.conditions!.find((c) => c.type === "Failed")!;
    expect(condition.status).toBe("True");
    expect(condition.message).toContain("spec.steps[1].inputs");
    expect(await chainPods(failed.metadata.uid)).toEqual([]);
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

/**
 * A checkout below a pod mount path (a CI clone under /tmp, with the pod's /tmp emptyDir) would be hidden
 * from the worker in the emulator as in a real container: such a mount moves aside (see pods-cluster.test.ts).
 */
function unshadowed(pod: V1Pod): V1Pod {
  for (const c of pod.spec!.containers) {
    for (const m of c.volumeMounts ?? []) {
      if (WORKER.startsWith(`${m.mountPath}/`)) m.mountPath = `${m.mountPath}-pod`;
    }
  }
  return pod;
}
