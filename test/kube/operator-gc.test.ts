/**
 * The operator's garbage collection end to end on the API emulator with s3rver and real worker processes:
 * a finished chain leaves no pod, claim or scratch object (a failed pod goes after its time to live); a
 * chain deleted mid-run takes every pod, claim and scratch object with it before it goes; and a deleted
 * chain whose S3 is unreachable loses its finalizer after the bound, with a Warning Event saying what is left.
 */
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import type { V1Pod } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { Controller } from "../../operator/kube/controller.ts";
import { SCRATCH_FINALIZER } from "../../operator/kube/gc.ts";
import type { Kubectl } from "../cluster/kubectl.ts";
import { until } from "../cluster/testing.ts";
import type { S3Fixture } from "../helpers/s3rver.ts";
import { failAtOnce, startWorld, type OperatorOptions, type World } from "../helpers/operator-world.ts";

let s3: S3Fixture;
let kubectl: Kubectl;
const controllers: Controller[] = [];
const created: V1Pod[] = [];
const failing = new Set<string>();

let world: World;

beforeAll(async () => {
  world = await startWorld();
  ({ s3, kubectl } = world);
  await kubectl(["apply", "-f", "-"], "apiVersion: v1\nkind: Namespace\nmetadata: { name: unreachable }\n");
  await kubectl(["apply", "-f", "-"], world.secret("unreachable"));
  controllers.push(startOperator("default", {}));
  // A small bound: this namespace's chain has an S3 endpoint that answers nothing.
  controllers.push(startOperator("unreachable", { scratchGiveUpMs: 1500 }));
  await Promise.all(controllers.map((c) => c.synced));
});
afterAll(async () => {
  await Promise.all(controllers.map((c) => c.stop()));
  await world?.stop();
});

const startOperator = (namespace: string, extra: OperatorOptions): Controller =>
  world.startOperator({
    namespace,
    adjust: (pod) => {
      created.push(pod);
      if (failing.has(pod.metadata!.name!)) failAtOnce(pod);
    },
    ...extra,
  });

const chainDoc = (name: string, output: string, spec: Record<string, unknown> = {}, namespace = "default") =>
  world.chainDoc(name, output, { spec, namespace });

interface Chain {
  metadata: { uid: string; finalizers?: string[] };
  status?: { phase?: string; conditions?: unknown[] };
}

async function getChain(name: string, namespace = "default"): Promise<Chain | undefined> {
  const out = await kubectl(["get", "imagechain", name, "-n", namespace, "-o", "json", "--ignore-not-found"]);
  return out.trim() ? (JSON.parse(out) as Chain) : undefined;
}

async function names(kind: string, uid: string, namespace = "default"): Promise<string[]> {
  const out = await kubectl([
    "get",
    kind,
    "-n",
    namespace,
    "-l",
    `imagechain.io/chain-uid=${uid}`,
    "-o",
    "name",
  ]);
  return out.split("\n").filter(Boolean);
}

async function scratchObjects(name: string, uid: string): Promise<string[]> {
  const page = await s3.client.send(
    new ListObjectsV2Command({ Bucket: "out", Prefix: `.imagechain-scratch/default/${name}-${uid}/` }),
  );
  return (page.Contents ?? []).map((o) => o.Key!);
}

describe("imagechain operator garbage collection on the emulator", () => {
  it("leaves no pod, claim or scratch object after a run; a failed pod goes after its time to live", async () => {
    const doc = chainDoc("gc-run", "s3://out/gc-run.tif", { ttlSecondsAfterFinished: 2 });
    // Made suspended first: pod names hold a prefix of the uid, known once the chain exists.
    await kubectl(["apply", "-f", "-"], stringify({ ...doc, spec: { ...doc.spec, suspend: true } }));
    const suspended = await until("the chain is Suspended", async () => {
      const c = await getChain("gc-run");
      return c?.status?.phase === "Suspended" ? c : undefined;
    });
    const uid = suspended.metadata.uid;
    expect(suspended.metadata.finalizers).toContain(SCRATCH_FINALIZER);
    const prefix = `gc-run-${uid.replace(/[^a-z0-9]/g, "").slice(0, 5)}`;
    failing.add(`${prefix}-l1-b0-a1`);
    await kubectl(["apply", "-f", "-"], stringify(doc));
    const done = await until(
      "the chain finishes",
      async () => {
        const c = await getChain("gc-run");
        return c?.status?.phase === "Succeeded" || c?.status?.phase === "Failed" ? c : undefined;
      },
      60_000,
    );
    expect(done.status!.phase, JSON.stringify(done.status?.conditions)).toBe("Succeeded");
    const made = created.map((p) => p.metadata!.name!).filter((n) => n.startsWith(prefix));
    // The failed attempt was made (and retried); its pod, kept 2 s for its logs, is gone with the rest.
    expect(made).toEqual(expect.arrayContaining([`${prefix}-l1-b0-a1`, `${prefix}-l1-b0-a2`]));
    await until("no pod of the chain is left", async () => (await names("pods", uid)).length === 0, 20_000);
    await until("no claim of the chain is left", async () => (await names("pvc", uid)).length === 0, 20_000);
    expect(await scratchObjects("gc-run", uid)).toEqual([]);
    const after = await until("the finalizer is removed", async () => {
      const c = await getChain("gc-run");
      return c && !c.metadata.finalizers?.includes(SCRATCH_FINALIZER) ? c : undefined;
    });
    expect(after.status!.phase).toBe("Succeeded");
    // Deleting a finished chain needs no operator work: it goes at once.
    await kubectl(["delete", "imagechain", "gc-run", "--timeout=10s"]);
    expect(await getChain("gc-run")).toBeUndefined();
  }, 90_000);

  it("a chain deleted mid-run takes every pod, claim, ConfigMap and scratch object with it", async () => {
    const doc = chainDoc("gc-delete", "s3://out/gc-delete.tif");
    await kubectl(["apply", "-f", "-"], stringify(doc));
    const uid = (await until("the chain exists", () => getChain("gc-delete"))).metadata.uid;
    await until(
      "pods run and scratch objects exist",
      async () =>
        (await names("pods", uid)).length > 0 &&
        (await names("pvc", uid)).length > 0 &&
        (await scratchObjects("gc-delete", uid)).length > 0,
      30_000,
    );
    const phase = (await getChain("gc-delete"))!.status?.phase;
    expect(phase === "Succeeded" || phase === "Failed", `phase ${phase}`).toBe(false);
    await kubectl(["delete", "imagechain", "gc-delete", "--wait=false"]);
    await until("the chain is gone", async () => (await getChain("gc-delete")) === undefined, 30_000);
    await until("its pods are gone", async () => (await names("pods", uid)).length === 0, 20_000);
    await until("its claims are gone", async () => (await names("pvc", uid)).length === 0, 20_000);
    expect(await names("configmap", uid)).toEqual([]);
    expect(await scratchObjects("gc-delete", uid)).toEqual([]);
  }, 90_000);

  it("a deleted chain whose S3 is unreachable loses its finalizer after the bound, with a Warning Event", async () => {
    const doc = chainDoc("gc-lost", "s3://out/gc-lost.tif", { suspend: true }, "unreachable");
    await kubectl(["apply", "-f", "-"], stringify(doc));
    const held = await until("the finalizer is added", async () => {
      const c = await getChain("gc-lost", "unreachable");
      return c?.metadata.finalizers?.includes(SCRATCH_FINALIZER) ? c : undefined;
    });
    // Nothing listens on port 1: every S3 call fails.
    const dead = { ...doc.spec.storage.s3, endpoint: "http://127.0.0.1:1" };
    await kubectl(["apply", "-f", "-"], stringify({ ...doc, spec: { ...doc.spec, storage: { s3: dead } } }));
    await kubectl(["delete", "imagechain", "gc-lost", "-n", "unreachable", "--wait=false"]);
    await until(
      "the chain is gone",
      async () => (await getChain("gc-lost", "unreachable")) === undefined,
      30_000,
    );
    const events = JSON.parse(await kubectl(["get", "events", "-n", "unreachable", "-o", "json"])) as {
      items: { reason: string; type: string; message: string; involvedObject: { uid: string } }[];
    };
    // Its Warnings: milestone Events (Planned) are Normal.
    const left = events.items.filter(
      (e) => e.involvedObject.uid === held.metadata.uid && e.type === "Warning",
    );
    expect(left.map((e) => [e.type, e.reason])).toEqual([["Warning", "ScratchLeft"]]);
    expect(left[0]!.message).toContain(
      `s3://out/.imagechain-scratch/unreachable/gc-lost-${held.metadata.uid}/`,
    );
  }, 60_000);
});
