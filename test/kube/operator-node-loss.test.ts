/**
 * Node loss end to end on the API emulator with s3rver and real worker processes: a chain of two lanes on
 * three nodes loses lane 0's node after lane 0's first batch is done (its tiles on the lane's volume).
 * The lane gets a new node and a -v1 claim, what it held and is still needed is recomputed, no pod is left
 * pinned to the gone node, an operator restarted after the loss neither repeats nor forgets it (one
 * LaneLost Event, generation 1), and the chain ends Succeeded with the bytes of `imagechain run`; with a
 * retry limit of 0, a node loss counted as an error would have failed it.
 */
import { GetObjectCommand, DeleteObjectCommand } from "@aws-sdk/client-s3";
import { createServer, type Server } from "node:http";
import { CoreV1Api, CustomObjectsApi, type V1Pod } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Controller } from "../../operator/kube/controller.ts";
import { unpackNodes, unpackNumbers } from "../../operator/kube/lane-encoding.ts";
import { podNode } from "../../operator/kube/nodes.ts";
import type { LanesStatus } from "../../operator/kube/status.ts";
import type { Cluster } from "../cluster/cluster.ts";
import type { Kubectl } from "../cluster/kubectl.ts";
import { kubeConfigOf, until } from "../cluster/testing.ts";
import { imagechain } from "../helpers/cli.ts";
import { startWorld, type World } from "../helpers/operator-world.ts";
import type { S3Fixture } from "../helpers/s3rver.ts";
import { WORKER } from "../helpers/worker-pods.ts";
import { writeChain, type Scene } from "../run/fixtures.ts";

const ENV = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_REGION: "us-east-1" };
/**
 * A pod's process waits until the gate (an HTTP URL) answers 200, then runs the worker: the test decides
 * when later batches may run, so the node goes while lane 0's next batch waits on it.
 */
const GATE = `(async () => {
  const [url, worker, ...args] = process.argv.slice(1);
  for (;;) {
    const open = await fetch(url).then((r) => r.ok, () => false);
    if (open) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const child = require("node:child_process").spawn(process.execPath, [worker, ...args], { stdio: "inherit" });
  child.on("exit", (code) => process.exit(code ?? 1));
})();`;

let world: World;
let s3: S3Fixture;
let scene: Scene;
let cluster: Cluster;
let kubectl: Kubectl;
let controller: Controller;
let gate: Server;
let gateOpen = false;
let gateUrl = "";
const errors: string[] = [];
const created: V1Pod[] = [];

beforeAll(async () => {
  gate = createServer((_, res) => res.writeHead(gateOpen ? 200 : 503).end());
  await new Promise<void>((resolve) => gate.listen(0, "127.0.0.1", resolve));
  world = await startWorld({ nodes: 3, width: 512, height: 256 });
  ({ s3, scene, cluster, kubectl } = world);
  const address = gate.address();
  gateUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/`;
  controller = startOperator();
  await controller.synced;
}, 60_000);
afterAll(async () => {
  gateOpen = true;
  await controller?.stop();
  await world?.stop();
  await new Promise((resolve) => gate?.close(resolve));
});

/** The operator in this process; every later batch waits for the gate. */
const startOperator = (): Controller =>
  world.startOperator({
    adjust: (pod) => {
      created.push(structuredClone(pod));
      // The first batch of each lane runs at once; every later one waits for the gate.
      if (!/-b0$/.test(pod.metadata!.labels!["imagechain.io/batch"]!))
        pod.spec!.containers[0]!.command = [process.execPath, "-e", GATE, gateUrl, WORKER];
    },
    onError: (key, e) => errors.push(`${key}: ${String(e)}`),
  });

interface Chain {
  metadata: { uid: string };
  status?: {
    phase?: string;
    progress?: string;
    lanes?: LanesStatus;
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
}

// No retry allowed: a batch lost with its node must not count as a failure.
const chainDoc = (name: string, output: string) =>
  world.chainDoc(name, output, {
    tileSize: 64,
    tasksPerPod: 8,
    execution: { retries: { limit: 0, backoffSeconds: 0.1 } },
  });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("imagechain operator on the emulator, losing a node", () => {
  it("gives the lost lane a new node and volume, recomputes its tiles, and ends with imagechain run's bytes", async () => {
    const core = kubeConfigOf(cluster.server).makeApiClient(CoreV1Api);
    const custom = kubeConfigOf(cluster.server).makeApiClient(CustomObjectsApi);
    const getChain = async () =>
      (await custom.getNamespacedCustomObject({
        group: "imagechain.io",
        version: "v1alpha1",
        namespace: "default",
        plural: "imagechains",
        name: "lose-node",
      })) as Chain;
    const lanesOf = (c: Chain) => ({
      nodes: unpackNodes(c.status!.lanes!.nodes, 2),
      volumes: unpackNumbers(c.status!.lanes!.volumes, 2),
    });
    const pods = async (uid: string) =>
      (
        await core.listNamespacedPod({
          namespace: "default",
          labelSelector: `imagechain.io/chain-uid=${uid}`,
        })
      ).items;

    const doc = chainDoc("lose-node", "s3://out/lose-node.tif");
    const file = await writeChain(scene.dir, "lose-node.yaml", doc);
    const reference = await imagechain(["run", file, "--workers", "2"], ENV);
    expect(reference.code, reference.stderr).toBe(0);
    const object = { Bucket: "out", Key: "lose-node.tif" };
    const bytes = async () =>
      Buffer.from(await (await s3.client.send(new GetObjectCommand(object))).Body!.transformToByteArray());
    const expected = await bytes();
    await s3.client.send(new DeleteObjectCommand(object));

    await kubectl(["apply", "-f", file]);
    // Both lanes' first batches are done and recorded (their pods deleted), lane 0's next one waits.
    const before = await until(
      "lane 0's first batch is recorded and its next batch is pinned to its node",
      async () => {
        await sleep(100);
        const c = await getChain().catch(() => undefined);
        if (!c?.status?.lanes) return undefined;
        const { nodes } = lanesOf(c);
        const live = await pods(c.metadata.uid);
        const batches = live.map((p) => p.metadata!.labels!["imagechain.io/batch"]);
        const pinned = live.filter(
          (p) => p.metadata!.labels!["imagechain.io/lane"] === "0" && podNode(p) === nodes[0],
        );
        const firstDone = !batches.includes("l0-b0") && !batches.includes("l1-b0");
        return nodes[0] && nodes[1] && firstDone && pinned.length > 0 ? c : undefined;
      },
      60_000,
    );
    const [lost, kept] = lanesOf(before).nodes as [string, string];
    expect(lost, "the lanes started on different nodes").not.toBe(kept);
    const [doneBefore] = before.status!.progress!.split("/").map(Number);
    expect(doneBefore).toBeGreaterThan(0);

    cluster.faults.deleteNode(lost);
    const recovered = await until(
      "lane 0's loss is recorded and no pod is left on or pinned to the gone node",
      async () => {
        await sleep(100);
        const c = await getChain();
        const live = await pods(c.metadata.uid);
        return lanesOf(c).volumes[0] === 1 && live.every((p) => podNode(p) !== lost) ? c : undefined;
      },
      30_000,
    );
    expect(lanesOf(recovered).nodes[0]).not.toBe(lost);
    const prefix = `lose-node-${before.metadata.uid.replace(/[^a-z0-9]/g, "").slice(0, 5)}`;
    await until("the lost volume's claim is deleted", async () => {
      await sleep(100);
      const claim = await core
        .readNamespacedPersistentVolumeClaim({ namespace: "default", name: `${prefix}-l0-v0` })
        .catch(() => undefined);
      return claim === undefined || Boolean(claim.metadata?.deletionTimestamp);
    });
    // Lane 0's done tiles were on its volume and still needed: no longer done, to be recomputed.
    const [doneAfter] = recovered.status!.progress!.split("/").map(Number);
    expect(doneAfter).toBeLessThan(doneBefore!);
    // A restarted operator reads the loss from the status: it neither repeats it nor forgets it.
    await controller.stop();
    controller = startOperator();
    await controller.synced;
    gateOpen = true;

    const done = await until(
      "the chain finishes",
      async () => {
        await sleep(200);
        const c = await getChain();
        return c.status?.phase === "Succeeded" || c.status?.phase === "Failed" ? c : undefined;
      },
      90_000,
    );
    expect(done.status!.phase, JSON.stringify(done.status?.conditions)).toBe("Succeeded");
    expect((await bytes()).equals(expected)).toBe(true);
    const lanes = lanesOf(done);
    expect(lanes.volumes).toEqual([1, 0]);
    expect(lanes.nodes[0]).not.toBeNull();
    expect(lanes.nodes[0]).not.toBe(lost);
    expect(lanes.nodes[1]).toBe(kept);

    const mine = created.filter((p) => p.metadata!.name!.startsWith(prefix));
    const claimOf = (p: V1Pod) =>
      p.spec!.volumes!.find((v) => v.name === "scratch")!.persistentVolumeClaim!.claimName;
    const lane0 = mine.filter((p) => p.metadata!.labels!["imagechain.io/lane"] === "0");
    const fresh = lane0.filter((p) => claimOf(p) === `${prefix}-l0-v1`);
    // After the loss lane 0 runs on its new volume, never pinned to the gone node.
    expect(fresh.length).toBeGreaterThan(0);
    for (const p of fresh) expect(podNode(p)).not.toBe(lost);
    expect(lane0.filter((p) => claimOf(p) === `${prefix}-l0-v0`).length).toBeGreaterThan(0);
    expect(new Set(mine.map((p) => claimOf(p)))).toEqual(
      new Set([`${prefix}-l0-v0`, `${prefix}-l0-v1`, `${prefix}-l1-v0`]),
    );
    const events = JSON.parse(await kubectl(["get", "events", "-o", "json"])) as {
      items: { reason?: string; message?: string; involvedObject?: { name?: string } }[];
    };
    const laneLost = events.items.filter(
      (e) => e.reason === "LaneLost" && e.involvedObject?.name === "lose-node",
    );
    expect(laneLost.map((e) => e.message)).toEqual([expect.stringContaining(`lane 0 lost its node ${lost}`)]);
    await until(
      "no pod of the chain is left",
      async () => {
        await sleep(200);
        return (await pods(done.metadata.uid)).length === 0;
      },
      20_000,
    );
    const retried = mine.filter((p) => p.metadata!.labels!["imagechain.io/attempt"] !== "1").length;
    console.log(
      `node loss: ${lost} deleted at ${before.status!.progress} done (${recovered.status!.progress} after); ${mine.length} pods, ${fresh.length} on lane 0's new volume on ${lanes.nodes[0]}, ${retried} retried attempts, reconcile errors: ${errors.length}`,
    );
  }, 180_000);
});
