/**
 * The objects of operator/kube as a cluster runs them (the emulator, real worker processes): the chain's
 * ConfigMap is the worker's chain file, a lane's claim binds on the node of its first pod and keeps the
 * lane's tiles for the next pod, which the lane's node affinity sends to the same node.
 */
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, type V1Pod } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { chainConfigMap } from "../../operator/kube/chain-config.ts";
import { laneClaim } from "../../operator/kube/lane-claim.ts";
import { batchPod, type StartBatch } from "../../operator/kube/pods.ts";
import { startCluster, type Cluster } from "../cluster/cluster.ts";
import { kubeConfigOf, until } from "../cluster/testing.ts";
import { planOf } from "../plan/helpers.ts";
import { makeScene, ndviChain, type Scene } from "../run/fixtures.ts";
import { unshadowed, WORKER_COMMAND } from "../helpers/worker-pods.ts";

const ns = "default";

let cluster: Cluster;
let scene: Scene;
beforeAll(async () => {
  scene = await makeScene(300, 200);
  cluster = await startCluster({
    nodes: 2,
    images: { "imagechain/worker": { command: WORKER_COMMAND } },
  });
});
afterAll(async () => {
  await cluster.stop();
  await rm(scene.dir, { recursive: true, force: true });
});

describe("kube objects on a cluster", () => {
  it("runs two batches of a lane on its node, the second reading the first's tiles from the lane's volume", async () => {
    const kc = kubeConfigOf(cluster.server);
    const core = kc.makeApiClient(CoreV1Api);
    const crd = parseYaml(
      await readFile(join(import.meta.dirname, "../../crds/imagechain.io_imagechains.yaml"), "utf8"),
    );
    await kc.makeApiClient(ApiextensionsV1Api).createCustomResourceDefinition({ body: crd });
    const doc = ndviChain(scene.uri, pathToFileURL(join(scene.dir, "out.tif")).href);
    const created = (await until("the CRD serves", () =>
      kc
        .makeApiClient(CustomObjectsApi)
        .createNamespacedCustomObject({
          group: "imagechain.io",
          version: "v1alpha1",
          namespace: ns,
          plural: "imagechains",
          body: doc,
        })
        .catch(() => undefined),
    )) as { metadata: { name: string; uid: string } };
    const chain = { name: created.metadata.name, namespace: ns, uid: created.metadata.uid };
    const plan = planOf(
      doc.spec,
      {
        scene: {
          width: 300,
          height: 200,
          bands: 4,
          dataType: "uint16",
          geoTransform: [0, 1, 0, 0, 0, -1],
          crs: { epsg: 32631, wkt: null },
          nodata: 0,
        },
      },
      1,
    );
    await core.createNamespacedConfigMap({ namespace: ns, body: chainConfigMap(chain, plan.spec) });
    await core.createNamespacedPersistentVolumeClaim({ namespace: ns, body: laneClaim(chain, 0, plan.spec) });

    const ctx = { spec: plan.spec, image: "imagechain/worker:dev", command: WORKER_COMMAND };
    let last: V1Pod | undefined;
    const run = async (action: StartBatch, laneNode: string | null): Promise<V1Pod> => {
      const pod = unshadowed(batchPod(chain, plan, action, { ...ctx, laneNode }));
      await core.createNamespacedPod({ namespace: ns, body: pod });
      const name = pod.metadata!.name!;
      return until(
        `${name} finishes`,
        async () => {
          const p = await core.readNamespacedPod({ name, namespace: ns });
          last = p;
          return p.status?.phase === "Succeeded" || p.status?.phase === "Failed" ? p : undefined;
        },
        20_000,
      ).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}: ${JSON.stringify(last?.status)}`);
      });
    };
    const log = (p: V1Pod) => core.readNamespacedPodLog({ name: p.metadata!.name!, namespace: ns });

    // NDVI tiles 0-5 (3 x 2 tiles of 128 px), then the smoothing of tile 6, which reads NDVI 0, 1, 3, 4.
    const first = await run(
      { type: "StartBatch", batch: "l0-b0", lane: 0, attempt: 1, tasks: [0, 1, 2, 3, 4, 5] },
      null,
    );
    expect(first.status!.phase, await log(first)).toBe("Succeeded");
    const node = first.spec!.nodeName!;
    const second = await run({ type: "StartBatch", batch: "l0-b1", lane: 0, attempt: 1, tasks: [6] }, node);
    expect(second.status!.phase, await log(second)).toBe("Succeeded");
    expect(second.spec!.nodeName).toBe(node);
    const lines = (await log(second))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { task: number });
    expect(lines.map((l) => l.task)).toEqual([6]);
  }, 60_000);
});
