/**
 * Watch semantics from the API conventions (raw HTTP streams), and the real client-node informer
 * across a dropped watch and a 410 Expired relist.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CoreV1Api, makeInformer, type V1ConfigMap } from "@kubernetes/client-node";
import { startApiServer, type ApiServer } from "./server.ts";
import { kubeConfigOf, until } from "./testing.ts";

let server: ApiServer;
let core: CoreV1Api;

beforeAll(async () => {
  server = await startApiServer({ bookmarkMs: 50 });
  core = kubeConfigOf(server).makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: "w" } } });
});
afterAll(async () => server.stop());

interface Event {
  type: string;
  object: {
    metadata?: { name?: string; resourceVersion?: string; annotations?: Record<string, string> };
    code?: number;
    reason?: string;
  };
}

/** Opens a watch and collects events until `done` says so or the server ends the stream. */
async function watch(
  query: string,
  done: (events: Event[]) => boolean,
  path = "/api/v1/namespaces/w/configmaps",
): Promise<{ events: Event[]; ended: boolean }> {
  const controller = new AbortController();
  const res = await fetch(`${server.url}${path}?watch=true&${query}`, { signal: controller.signal });
  expect(res.status).toBe(200);
  const events: Event[] = [];
  const decoder = new TextDecoder();
  let buffer = "";
  const reader = res.body!.getReader();
  for (;;) {
    if (done(events)) {
      controller.abort();
      return { events, ended: false };
    }
    const chunk = await reader.read();
    if (chunk.done) return { events, ended: true };
    buffer += decoder.decode(chunk.value, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      events.push(JSON.parse(buffer.slice(0, nl)) as Event);
      buffer = buffer.slice(nl + 1);
    }
  }
}

const cm = (name: string, labels: Record<string, string> = {}): V1ConfigMap => ({
  metadata: { name, labels },
  data: { v: "0" },
});

describe("watch", () => {
  it("sends synthetic ADDED events for the current state when resourceVersion is unset or 0", async () => {
    await core.createNamespacedConfigMap({ namespace: "w", body: cm("one") });
    await core.createNamespacedConfigMap({ namespace: "w", body: cm("two") });
    for (const rv of ["", "&resourceVersion=0"]) {
      const { events } = await watch(rv, (e) => e.length >= 2);
      expect(events.map((e) => [e.type, e.object.metadata?.name]).sort()).toEqual([
        ["ADDED", "one"],
        ["ADDED", "two"],
      ]);
    }
  });

  it("resumes after a resourceVersion with exactly the later events, in order", async () => {
    const list = await core.listNamespacedConfigMap({ namespace: "w" });
    const from = list.metadata?.resourceVersion;
    await core.patchNamespacedConfigMap(
      { name: "one", namespace: "w", body: [{ op: "replace", path: "/data/v", value: "1" }] },
      undefined,
    );
    await core.deleteNamespacedConfigMap({ name: "two", namespace: "w" });
    await core.createNamespacedConfigMap({ namespace: "w", body: cm("three") });
    const { events } = await watch(`resourceVersion=${from}`, (e) => e.length >= 3);
    expect(events.map((e) => [e.type, e.object.metadata?.name])).toEqual([
      ["MODIFIED", "one"],
      ["DELETED", "two"],
      ["ADDED", "three"],
    ]);
    const rvs = events.map((e) => Number(e.object.metadata?.resourceVersion));
    expect(rvs).toEqual([...rvs].sort((a, b) => a - b));
    expect(rvs[0]).toBeGreaterThan(Number(from));
  });

  it("reports objects entering and leaving a label selector as ADDED and DELETED", async () => {
    const from = (await core.listNamespacedConfigMap({ namespace: "w" })).metadata?.resourceVersion;
    await core.createNamespacedConfigMap({ namespace: "w", body: cm("sel", { keep: "no" }) });
    const relabel = (v: string) =>
      core.patchNamespacedConfigMap({
        name: "sel",
        namespace: "w",
        body: [{ op: "replace", path: "/metadata/labels/keep", value: v }],
      });
    await relabel("yes");
    await relabel("no");
    const { events } = await watch(`resourceVersion=${from}&labelSelector=keep%3Dyes`, (e) => e.length >= 2);
    expect(events.map((e) => [e.type, e.object.metadata?.name])).toEqual([
      ["ADDED", "sel"],
      ["DELETED", "sel"],
    ]);
  });

  it("answers a resourceVersion older than the history with ERROR 410 Expired, then closes", async () => {
    const from = (await core.listNamespacedConfigMap({ namespace: "w" })).metadata?.resourceVersion;
    await core.createNamespacedConfigMap({ namespace: "w", body: cm("after-compaction") });
    server.store.compact();
    const { events, ended } = await watch(`resourceVersion=${from}`, () => false);
    expect(ended).toBe(true);
    expect(events).toHaveLength(1);
    expect(events[0].type).toBe("ERROR");
    expect(events[0].object).toMatchObject({ code: 410, reason: "Expired" });
  });

  it("sends bookmarks carrying the current resourceVersion when allowed, and marks the end of initial events", async () => {
    const { events } = await watch(
      "allowWatchBookmarks=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan",
      (e) => e.some((x) => x.type === "BOOKMARK" && !x.object.metadata?.annotations),
    );
    const initialEnd = events.findIndex(
      (e) => e.object.metadata?.annotations?.["k8s.io/initial-events-end"] === "true",
    );
    expect(initialEnd).toBeGreaterThan(0);
    expect(events.slice(0, initialEnd).every((e) => e.type === "ADDED")).toBe(true);
    const last = events[events.length - 1];
    expect(Number(last.object.metadata?.resourceVersion)).toBe(server.store.resourceVersion);
  });

  it("ends the stream after timeoutSeconds", async () => {
    const { ended } = await watch("timeoutSeconds=1&resourceVersion=0", () => false);
    expect(ended).toBe(true);
  });
});

describe("client-node informer", () => {
  it("follows changes, recovers from a dropped watch and relists after 410", async () => {
    await core.createNamespace({ body: { metadata: { name: "inf" } } });
    await core.createNamespacedConfigMap({ namespace: "inf", body: cm("before") });
    const kc = kubeConfigOf(server);
    const informer = makeInformer(kc, "/api/v1/namespaces/inf/configmaps", () =>
      core.listNamespacedConfigMap({ namespace: "inf" }),
    );
    const seen: string[] = [];
    informer.on("add", (o) => seen.push(`add ${o.metadata?.name}`));
    informer.on("update", (o) => seen.push(`update ${o.metadata?.name}`));
    informer.on("delete", (o) => seen.push(`delete ${o.metadata?.name}`));
    const names = () =>
      informer
        .list("inf")
        .map((o) => o.metadata?.name)
        .sort()
        .join(",");
    await informer.start();
    try {
      await until("initial list", () => names() === "before");
      await core.createNamespacedConfigMap({ namespace: "inf", body: cm("live") });
      await until("live add", () => names() === "before,live");

      // A dropped watch: the informer reconnects from its last resourceVersion and misses nothing.
      await until("watch open", () => server.watches.count > 0);
      server.watches.dropAll();
      await core.createNamespacedConfigMap({ namespace: "inf", body: cm("while-dropped") });
      await until("change made while disconnected", () => names() === "before,live,while-dropped");

      // Compacted history + dropped watch: the resume gets 410, the informer relists and
      // notices a deletion it never saw as an event.
      await until("watch reopened", () => server.watches.count > 0);
      server.watches.dropAll();
      await core.deleteNamespacedConfigMap({ name: "before", namespace: "inf" });
      await core.createNamespacedConfigMap({ namespace: "inf", body: cm("after-410") });
      server.store.compact();
      await until("relist after 410", () => names() === "after-410,live,while-dropped", 15_000);
      expect(seen).toContain("delete before");
    } finally {
      await informer.stop();
    }
  });
});
