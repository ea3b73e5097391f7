/**
 * Chaos, seeded, end to end (emulator, s3rver, real worker processes, `imagechain operator` processes):
 * for each seed one chain runs while, at progress points the seed draws, worker pods are killed (exit
 * 137 or OOMKilled), one or two nodes holding its lanes are deleted or cut off (NotReady past the
 * operator's grace, then healed; fresh nodes join either way), the leading
 * operator is killed -9 twice (a fresh replica takes over once the Lease runs out), every watch is
 * dropped, and a share of API requests fails with 409 or 500. The chain must end Succeeded with the
 * bytes of `imagechain run`, and then no pod, claim, volume or scratch object of it may remain.
 * CHAOS_SEEDS=n runs n seeds (20 by default) from CHAOS_FIRST_SEED (1).
 */
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LABEL } from "../../operator/kube/meta.ts";
import { SCRATCH_PREFIX } from "../../operator/kube/shared-scratch.ts";
import type { KubeObject } from "../../operator/kube/store.ts";
import { mulberry32 } from "../../scripts/lib/prng.ts";
import { until } from "../cluster/testing.ts";
import { imagechain } from "../helpers/cli.ts";
import { workerFailures } from "../helpers/pod-logs.ts";
import { S3_ENV, startReplica, type Replica } from "../helpers/operator-replica.ts";
import { startWorld, type World } from "../helpers/operator-world.ts";
import { writeChain } from "../run/fixtures.ts";

const FIRST = Number(process.env.CHAOS_FIRST_SEED ?? 1);
const SEEDS = Array.from({ length: Number(process.env.CHAOS_SEEDS ?? 20) }, (_, i) => FIRST + i);
const CHAINS = "imagechain.io/imagechains";

let world: World;
let kubeconfig: string;
let expected: Buffer;
let replica: Replica;
let replicas = 0;
const killed: Replica[] = [];

type Chain = KubeObject & {
  metadata: { uid?: string };
  status?: { phase?: string; tiles?: { total: number; succeeded: number }; conditions?: unknown };
};
type Pod = KubeObject & {
  metadata: { labels?: Record<string, string> };
  spec?: { nodeName?: string };
  status?: { phase?: string };
};

const chainOf = (name: string) =>
  world.cluster.server.store.get(CHAINS, "default", name) as Chain | undefined;
const podsOf = (uid: string) =>
  (world.cluster.server.store.list("/pods", "default") as Pod[]).filter(
    (p) => p.metadata.labels?.[LABEL.chainUid] === uid,
  );

function newReplica(): Replica {
  replicas++;
  // A node NotReady for a second is lost (the default is 5 minutes).
  return startReplica(kubeconfig, `replica-${replicas}`, ["--node-lost-after", "1s"]);
}

async function objectBytes(key: string): Promise<Buffer> {
  const res = await world.s3.client.send(new GetObjectCommand({ Bucket: "out", Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

const chainDoc = (name: string) =>
  world.chainDoc(name, `s3://out/${name}.tif`, {
    tileSize: 64,
    tasksPerPod: 4,
    execution: { parallelism: 2, retries: { limit: 10, backoffSeconds: 0.5 } },
    // Failed pods go at once: what is left after the run must be nothing.
    spec: { ttlSecondsAfterFinished: 0 },
  });

beforeAll(async () => {
  world = await startWorld({ nodes: 3, width: 384, height: 256 });
  kubeconfig = join(world.scene.dir, "kubeconfig");
  await writeFile(kubeconfig, world.cluster.server.kubeconfig());
  const file = await writeChain(world.scene.dir, "reference.yaml", chainDoc("reference"));
  const reference = await imagechain(["run", file, "--workers", "2"], S3_ENV);
  expect(reference.code, reference.stderr).toBe(0);
  expected = await objectBytes("reference.tif");
  await world.s3.client.send(new DeleteObjectCommand({ Bucket: "out", Key: "reference.tif" }));
  replica = newReplica();
}, 60_000);

afterAll(async () => {
  for (const r of [replica, ...killed]) r?.child.kill("SIGKILL");
  await world?.stop();
});

/**
 * The faults of one seed: most strike at the share of tiles done that the seed draws; request faults
 * last a few seconds (a stalled run must not keep them on), pod kills are a handful, a second apart.
 */
function faultPlan(seed: number) {
  const random = mulberry32(seed);
  const at = (lo: number, hi: number) => lo + random() * (hi - lo);
  return {
    random,
    operatorKills: [at(0.05, 0.4), at(0.45, 0.75)],
    nodeDeletions: Array.from({ length: 1 + Math.floor(random() * 2) }, () => at(0.1, 0.7)).sort(),
    /** Per node fault: deleted, or cut off (NotReady, healed a few seconds later). */
    partitions: [random() < 0.4, random() < 0.4],
    dropWatches: at(0.05, 0.75),
    requestFaults: {
      code: random() < 0.5 ? (409 as const) : (500 as const),
      from: at(0, 0.6),
      ms: at(2000, 4000),
    },
    podKills: 2 + Math.floor(random() * 4),
  };
}

describe("the operator under chaos", () => {
  it.each(SEEDS)(
    "seed %i: pod kills, node deletions, operator kill -9, dropped watches, 409/500 → Succeeded, same bytes, nothing left",
    async (seed) => {
      const plan = faultPlan(seed);
      const name = `chaos-${seed}`;
      await world.kubectl(["apply", "-f", "-"], JSON.stringify(chainDoc(name)));
      const log: string[] = [];
      const pending = {
        operatorKills: [...plan.operatorKills],
        nodeDeletions: [...plan.nodeDeletions],
        dropWatches: true,
        faultsOn: true,
        faultsOffAt: Infinity,
        podKills: plan.podKills,
        nextKillAt: 0,
      };
      const { faults } = world.cluster;
      const deletedNodes: string[] = [];
      const heals: Promise<void>[] = [];
      const claimNames = new Set<string>();
      const claims = (uid: string) =>
        (world.cluster.server.store.list("/persistentvolumeclaims", "default") as Pod[]).filter(
          (c) => c.metadata.labels?.[LABEL.chainUid] === uid,
        );
      let extraNodes = 0;
      const strike = () => {
        const chain = chainOf(name);
        const tiles = chain?.status?.tiles;
        const done = tiles && tiles.total > 0 ? tiles.succeeded / tiles.total : 0;
        const uid = chain?.metadata.uid;
        const running = uid ? podsOf(uid).filter((p) => p.status?.phase === "Running") : [];
        if (uid) for (const c of claims(uid)) claimNames.add(c.metadata.name!);
        if (pending.operatorKills[0] !== undefined && done >= pending.operatorKills[0]) {
          pending.operatorKills.shift();
          log.push(`${done.toFixed(2)}: kill -9 operator`);
          replica.child.kill("SIGKILL");
          killed.push(replica);
          replica = newReplica();
        }
        if (pending.nodeDeletions[0] !== undefined && done >= pending.nodeDeletions[0]) {
          const bound = uid ? podsOf(uid).map((p) => p.spec?.nodeName) : [];
          const node = bound.find((n) => n && !deletedNodes.includes(n));
          if (node) {
            const partition = plan.partitions[deletedNodes.length] ?? false;
            pending.nodeDeletions.shift();
            deletedNodes.push(node);
            if (partition) {
              log.push(`${done.toFixed(2)}: partition node ${node}`);
              faults.partitionNode(node);
              heals.push(
                new Promise((healed) =>
                  setTimeout(() => {
                    faults.healNode(node);
                    healed();
                  }, 3000),
                ),
              );
            } else {
              log.push(`${done.toFixed(2)}: delete node ${node}`);
              faults.deleteNode(node);
            }
            world.cluster.addNode({ name: `extra-${seed}-${extraNodes++}`, zone: "zone-a" });
          }
        }
        if (pending.dropWatches && done >= plan.dropWatches) {
          pending.dropWatches = false;
          log.push(`${done.toFixed(2)}: drop watches`);
          faults.dropWatches();
        }
        const f = plan.requestFaults;
        if (pending.faultsOn && done >= f.from) {
          pending.faultsOn = false;
          pending.faultsOffAt = Date.now() + f.ms;
          log.push(`${done.toFixed(2)}: ${f.code} on 10% of requests`);
          faults.failRequests({ code: f.code, fraction: 0.1 }, plan.random);
        }
        if (Date.now() >= pending.faultsOffAt) {
          pending.faultsOffAt = Infinity;
          log.push(`${done.toFixed(2)}: requests healthy`);
          faults.failRequests(undefined);
        }
        const victim = running[Math.floor(plan.random() * running.length)];
        if (victim && pending.podKills > 0 && Date.now() >= pending.nextKillAt && plan.random() < 0.5) {
          const oom = plan.random() < 0.5;
          try {
            faults.killPod("default", victim.metadata.name!, oom ? { oomKilled: true } : { exitCode: 137 });
            pending.podKills--;
            pending.nextKillAt = Date.now() + 1000;
            log.push(`${done.toFixed(2)}: kill pod ${victim.metadata.name}${oom ? " (OOMKilled)" : ""}`);
          } catch {
            // Its process has just ended, or its node is cut off: another pod, another time.
          }
        }
      };
      const ticker = setInterval(strike, 100);
      let chain: Chain;
      try {
        chain = await until(
          `${name} finishes`,
          () => {
            const c = chainOf(name);
            return c?.status?.phase === "Succeeded" || c?.status?.phase === "Failed" ? c : undefined;
          },
          150_000,
        );
      } catch (e) {
        throw new Error(
          `${(e as Error).message}: ${JSON.stringify(chainOf(name)?.status)}\n${log.join("\n")}\noperator:\n${replica.stderr().slice(-3000)}\nworkers:\n${(await workerFailures(world.cluster.root)).slice(-10).join("\n")}`,
          { cause: e },
        );
      } finally {
        clearInterval(ticker);
        faults.failRequests(undefined);
      }
      const story = `seed ${seed}:\n${log.join("\n")}`;
      const struck = (what: string) => log.filter((l) => l.includes(what)).length;
      expect(struck("kill -9 operator"), story).toBe(2);
      expect(struck("delete node") + struck("partition node"), story).toBeGreaterThanOrEqual(1);
      expect(struck("kill pod"), story).toBeGreaterThanOrEqual(1);
      expect(struck("drop watches") + struck("% of requests"), story).toBe(2);
      expect(chain.status!.phase, `${story}\n${JSON.stringify(chain.status!.conditions)}`).toBe("Succeeded");
      expect((await objectBytes(`${name}.tif`)).equals(expected), story).toBe(true);

      const uid = chain.metadata.uid!;
      await Promise.all(heals);
      expect(claimNames.size, "the lanes had volumes").toBeGreaterThan(0);
      const volumes = () =>
        (
          world.cluster.server.store.list("/persistentvolumes") as (KubeObject & {
            spec?: { claimRef?: { name?: string } };
          })[]
        ).filter((v) => claimNames.has(v.spec?.claimRef?.name ?? ""));
      const scratch = async () =>
        (
          await world.s3.client.send(
            new ListObjectsV2Command({ Bucket: "out", Prefix: `${SCRATCH_PREFIX}/default/${name}-${uid}/` }),
          )
        ).KeyCount ?? 0;
      await until(
        `nothing of ${name} left`,
        async () =>
          podsOf(uid).length === 0 &&
          claims(uid).length === 0 &&
          volumes().length === 0 &&
          (await scratch()) === 0,
        30_000,
      ).catch((e: Error) => {
        throw new Error(
          `${e.message}: pods ${podsOf(uid).map((p) => p.metadata.name)}, claims ${claims(uid).map((c) => c.metadata.name)}, volumes ${volumes().length}\n${story}`,
        );
      });
      console.log(`${story}\n→ Succeeded, ${chain.status!.tiles!.total} tiles, same bytes, nothing left`);
    },
    180_000,
  );
});
