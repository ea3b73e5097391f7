/**
 * The watcher and reflector on the emulator with the real client-node: the store converges after a
 * dropped watch (resumed, no relist), after a forced 410 (relist that notices a deletion it never saw
 * as an event), and after watch requests fail with 500 (where client-node's informer would stop).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { startReflector, type Reflector } from "../../operator/kube/reflector.ts";
import type { KubeObject, WatchEvent } from "../../operator/kube/store.ts";
import { watchEvents, type ResourceRef } from "../../operator/kube/watch.ts";
import { startApiServer, type ApiServer } from "../cluster/server.ts";
import { kubeConfigOf, until } from "../cluster/testing.ts";

let server: ApiServer;
let kc: KubeConfig;
let core: CoreV1Api;

beforeAll(async () => {
  server = await startApiServer({ bookmarkMs: 50 });
  kc = kubeConfigOf(server);
  core = kc.makeApiClient(CoreV1Api);
});
afterAll(async () => server.stop());

const fast = { backoff: { baseMs: 20, maxMs: 200 }, quietMs: 60_000, pageSize: 2 };

async function namespace(name: string): Promise<void> {
  await core.createNamespace({ body: { metadata: { name } } });
}

const create = (ns: string, name: string, app = "x") =>
  core.createNamespacedConfigMap({
    namespace: ns,
    body: { metadata: { name, labels: { app } }, data: { v: "0" } },
  });
const remove = (ns: string, name: string) => core.deleteNamespacedConfigMap({ name, namespace: ns });
const change = (ns: string, name: string, v: string) =>
  core.patchNamespacedConfigMap({
    name,
    namespace: ns,
    body: [{ op: "replace", path: "/data/v", value: v }],
  });

/** Store contents as sorted "key=v" strings. */
function contents(r: Reflector<KubeObject & { data?: { v?: string } }>): string {
  return r.store
    .keys()
    .sort()
    .map((k) => `${k}=${r.store.get(k)?.data?.v}`)
    .join(",");
}

describe("reflector", () => {
  it("syncs a label-selected list, follows the watch, and converges after a dropped watch and a forced 410", async () => {
    await namespace("r");
    for (const n of ["a", "b", "c"]) await create("r", n);
    await create("r", "other", "y");
    const enqueued: string[] = [];
    const r = startReflector<KubeObject & { data?: { v?: string } }>(
      kc,
      { group: "", version: "v1", plural: "configmaps", namespace: "r", labelSelector: "app=x" },
      { ...fast, enqueue: (keys) => enqueued.push(...keys) },
    );
    try {
      expect(r.store.synced).toBe(false);
      await r.synced;
      // Three objects over two list pages, the other label filtered out.
      expect(contents(r)).toBe("r/a=0,r/b=0,r/c=0");
      expect(enqueued.sort()).toEqual(["r/a", "r/b", "r/c"]);

      enqueued.length = 0;
      await change("r", "a", "1");
      await remove("r", "b");
      await until("live events", () => contents(r) === "r/a=1,r/c=0");
      expect(enqueued).toEqual(["r/a", "r/b"]);

      // Dropped watch: resumed from the last resourceVersion, nothing missed.
      await until("watch open", () => server.watches.count > 0);
      server.watches.dropAll();
      await create("r", "d");
      await change("r", "c", "2");
      await until("after a dropped watch", () => contents(r) === "r/a=1,r/c=2,r/d=0");

      // Forced 410: history compacted while disconnected; the relist finds that "a" was deleted.
      await until("watch reopened", () => server.watches.count > 0);
      enqueued.length = 0;
      server.watches.dropAll();
      await remove("r", "a");
      await create("r", "e");
      server.store.compact();
      await until("after 410", () => contents(r) === "r/c=2,r/d=0,r/e=0");
      // Only what changed while unseen is enqueued again.
      expect(enqueued.sort()).toEqual(["r/a", "r/e"]);
    } finally {
      await r.stop();
    }
  });

  it("maps changes to other keys (pods to their chain) and reports deletions under the old object's keys", async () => {
    await namespace("m");
    const enqueued: string[] = [];
    const r = startReflector<KubeObject & { metadata?: { labels?: Record<string, string> } }>(
      kc,
      { group: "", version: "v1", plural: "configmaps", namespace: "m" },
      {
        ...fast,
        keys: (o) => [`m/chain-${o.metadata?.labels?.app}`],
        enqueue: (keys) => enqueued.push(...keys),
      },
    );
    try {
      await r.synced;
      await create("m", "p1", "one");
      await create("m", "p2", "two");
      await remove("m", "p1");
      await until("three events", () => enqueued.length === 3);
      expect(enqueued).toEqual(["m/chain-one", "m/chain-two", "m/chain-one"]);
    } finally {
      await r.stop();
    }
  });

  it("keeps every change in its store but enqueues only the relevant ones", async () => {
    await namespace("f");
    const enqueued: string[] = [];
    const r = startReflector<KubeObject & { data?: { v?: string } }>(
      kc,
      { group: "", version: "v1", plural: "configmaps", namespace: "f" },
      {
        ...fast,
        relevant: (before, after) => before?.data?.v !== after?.data?.v,
        enqueue: (keys) => enqueued.push(...keys),
      },
    );
    try {
      await r.synced;
      await create("f", "a");
      await until("created", () => contents(r) === "f/a=0");
      // A change of another field, like a node's heartbeat: stored, not enqueued.
      await core.patchNamespacedConfigMap({
        name: "a",
        namespace: "f",
        body: [{ op: "add", path: "/data/beat", value: "1" }],
      });
      await until("stored", () => (r.store.get("f/a") as { data?: { beat?: string } })?.data?.beat === "1");
      await change("f", "a", "1");
      await until("changed", () => contents(r) === "f/a=1");
      expect(enqueued).toEqual(["f/a", "f/a"]);
    } finally {
      await r.stop();
    }
  });
});

describe("watchEvents", () => {
  const take = async (gen: AsyncGenerator<WatchEvent<KubeObject>>, n: number) => {
    const out: string[] = [];
    while (out.length < n) {
      const { value } = await gen.next();
      const e = value as WatchEvent<KubeObject>;
      out.push("object" in e ? `${e.type} ${e.object.metadata?.name}` : e.type);
    }
    return out;
  };

  it("resumes without a relist after a drop, relists after 410, and outlives failing requests with backoff", async () => {
    await namespace("w");
    await create("w", "one");
    const errors: number[] = [];
    const ref: ResourceRef = { group: "", version: "v1", plural: "configmaps", namespace: "w" };
    const gen = watchEvents<KubeObject>(kc, ref, {
      ...fast,
      onError: (e) => errors.push((e as { code?: number; statusCode?: number }).code ?? -1),
    });
    try {
      expect(await take(gen, 3)).toEqual(["Init", "InitApply one", "InitDone"]);
      await create("w", "two");
      expect(await take(gen, 1)).toEqual(["Apply two"]);

      await until("watch open", () => server.watches.count > 0);
      server.watches.dropAll();
      await create("w", "three");
      expect(await take(gen, 1)).toEqual(["Apply three"]);

      // Every request fails with 500 for a while: the watch keeps retrying instead of giving up.
      // (The generator is pulled: keep a next() pending so that it runs meanwhile.)
      server.faults.failure = { code: 500, fraction: 1, methods: ["GET"] };
      server.watches.dropAll();
      const next = take(gen, 1);
      await until("several failed attempts", () => errors.length >= 3);
      server.faults.failure = undefined;
      await create("w", "four");
      expect(await next).toEqual(["Apply four"]);
      expect(new Set(errors)).toEqual(new Set([500]));

      await until("watch reopened", () => server.watches.count > 0);
      server.watches.dropAll();
      await remove("w", "one");
      server.store.compact();
      expect(await take(gen, 5)).toEqual([
        "Init",
        "InitApply four",
        "InitApply three",
        "InitApply two",
        "InitDone",
      ]);
    } finally {
      await gen.return(undefined);
    }
  });
});
