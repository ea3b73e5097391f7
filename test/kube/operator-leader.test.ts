/**
 * Two `imagechain operator` processes on one emulated cluster: only the Lease holder creates pods (each
 * pod names its creator); kill -9 of the leader mid-run hands the chain to the other once the Lease
 * runs out, and the chain ends Succeeded with the bytes of `imagechain run`. SIGTERM releases the
 * Lease; a replica whose Lease is taken from it exits 1.
 */
import { DeleteObjectCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import { Watch, type KubeConfig, type V1Pod } from "@kubernetes/client-node";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CREATED_BY } from "../../operator/cli/operator.ts";
import { kubeJson } from "../../operator/kube/kube-http.ts";
import { LEASE_NAME } from "../../operator/kube/leading.ts";
import type { Cluster } from "../cluster/cluster.ts";
import type { Kubectl } from "../cluster/kubectl.ts";
import { kubeConfigOf, until } from "../cluster/testing.ts";
import { imagechain } from "../helpers/cli.ts";
import { logged, S3_ENV, startReplica as replicaProcess, type Replica } from "../helpers/operator-replica.ts";
import { startWorld, type World } from "../helpers/operator-world.ts";
import type { S3Fixture } from "../helpers/s3rver.ts";
import { writeChain, type Scene } from "../run/fixtures.ts";

const LEASE_PATH = `/apis/coordination.k8s.io/v1/namespaces/default/leases/${LEASE_NAME}`;

let world: World;
let s3: S3Fixture;
let scene: Scene;
let cluster: Cluster;
let kubectl: Kubectl;
let kc: KubeConfig;
let config: string;
const replicas: Replica[] = [];

function startReplica(host: string): Replica {
  const replica = replicaProcess(config, host);
  replicas.push(replica);
  return replica;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseTransitions?: number;
}
const lease = async () => (await kubeJson(kc, "GET", LEASE_PATH)) as { spec: LeaseSpec };

beforeAll(async () => {
  world = await startWorld();
  ({ s3, scene, cluster, kubectl } = world);
  kc = kubeConfigOf(cluster.server);
  config = join(scene.dir, "kubeconfig");
  await writeFile(config, cluster.server.kubeconfig());
});
afterAll(async () => {
  for (const r of replicas) r.child.kill("SIGKILL");
  await world?.stop();
});

const chainDoc = (name: string, output: string) => world.chainDoc(name, output);

async function objectBytes(bucket: string, key: string): Promise<Buffer> {
  const res = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

describe("imagechain operator replicas", () => {
  it("only the leader creates pods; after kill -9 of the leader the other finishes the chain with the same bytes", async () => {
    const doc = chainDoc("ha", "s3://out/ha.tif");
    const file = await writeChain(scene.dir, "ha.yaml", doc);
    const reference = await imagechain(["run", file, "--workers", "2"], S3_ENV);
    expect(reference.code, reference.stderr).toBe(0);
    const expected = await objectBytes("out", "ha.tif");
    await s3.client.send(new DeleteObjectCommand({ Bucket: "out", Key: "ha.tif" }));

    const a = startReplica("replica-a");
    const idA = await a.identity;
    await until("a leads", () => logged(a, "operator started"));
    const b = startReplica("replica-b");
    const idB = await b.identity;
    expect(idB).not.toBe(idA);

    /** Every pod as it appeared, with who created it and whether replica a was still alive then. */
    const pods: { name: string; creator: string; aAlive: boolean }[] = [];
    let aAlive = true;
    const watch = await new Watch(kc).watch(
      "/api/v1/namespaces/default/pods",
      {},
      (type: string, pod: V1Pod) => {
        if (type === "ADDED")
          pods.push({ name: pod.metadata!.name!, creator: pod.metadata!.annotations![CREATED_BY]!, aAlive });
      },
      () => {},
    );
    try {
      await kubectl(["apply", "-f", file]);
      await until("the leader's first pods", () => pods.length >= 2, 20_000);
      expect((await lease()).spec.holderIdentity).toBe(idA);
      expect(logged(b, "leading"), "the standby leads while the leader lives").toBeUndefined();
      aAlive = false;
      a.child.kill("SIGKILL");
      expect(await a.exited).toBeNull();

      const done = await until(
        "the chain finishes",
        async () => {
          const c = JSON.parse(await kubectl(["get", "imagechain", "ha", "-o", "json"])) as {
            status?: { phase?: string; progress?: string; conditions?: unknown };
          };
          return c.status?.phase === "Succeeded" || c.status?.phase === "Failed" ? c : undefined;
        },
        30_000,
      ).catch(async (e: Error) => {
        const now = await kubectl(["get", "pods", "-o", "wide"]);
        throw new Error(`${e.message}\n${now}\nsecond replica:\n${b.stderr().slice(-3000)}`);
      });
      expect(done.status!.phase, JSON.stringify(done.status?.conditions)).toBe("Succeeded");
      expect((await objectBytes("out", "ha.tif")).equals(expected)).toBe(true);

      const byA = pods.filter((p) => p.creator === idA);
      const byB = pods.filter((p) => p.creator === idB);
      expect(byA.length + byB.length, JSON.stringify(pods)).toBe(pods.length);
      // While a lived only a created pods (a pod a created just before its kill may be seen after it).
      expect(pods.filter((p) => p.aAlive && p.creator !== idA)).toEqual([]);
      expect(byB.length, "the new leader made the rest").toBeGreaterThan(0);
      expect(new Set(pods.map((p) => p.name)).size).toBe(pods.length);
      const now = (await lease()).spec;
      expect(now.holderIdentity).toBe(idB);
      expect(now.leaseTransitions).toBe(1);
      const conflicts = b
        .stderr()
        .split("\n")
        .filter((l) => l.includes("reconcile failed")).length;
      console.log(
        `${pods.length} pods (${byA.length} by the first leader, ${byB.length} after it was killed), progress ${done.status!.progress}; reconcile errors of the second: ${conflicts}`,
      );

      b.child.kill("SIGTERM");
      expect(await b.exited).toBe(0);
      expect((await lease()).spec.holderIdentity).toBe("");
    } finally {
      watch.abort();
    }
  }, 60_000);

  it("a replica whose Lease is taken from it stops and exits 1", async () => {
    const c = startReplica("replica-c");
    const id = await c.identity;
    await until("c leads", () => logged(c, "operator started"));
    const held = (await kubeJson(kc, "GET", LEASE_PATH)) as Record<string, unknown> & { spec: LeaseSpec };
    expect(held.spec.holderIdentity).toBe(id);
    await kubeJson(kc, "PUT", LEASE_PATH, {
      body: { ...held, spec: { ...held.spec, holderIdentity: "intruder", leaseDurationSeconds: 60 } },
    });
    expect(await c.exited).toBe(1);
    expect(logged(c, "lost the lease: exiting so that a fresh process contends")).toBeDefined();
    expect((await lease()).spec.holderIdentity).toBe("intruder");
  }, 20_000);
});
