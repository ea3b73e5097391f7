/**
 * API conventions driven through the real @kubernetes/client-node: CRUD, optimistic concurrency,
 * Status errors, generation, patches, selectors, finalizers and cascading deletion.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1ConfigMap,
  type V1Pod,
} from "@kubernetes/client-node";
import { startApiServer, type ApiServer } from "./server.ts";
import { failure, kubeConfigOf, requestJson, until } from "./testing.ts";

let server: ApiServer;
let core: CoreV1Api;
const namespace = "default";

beforeAll(async () => {
  server = await startApiServer();
  core = kubeConfigOf(server).makeApiClient(CoreV1Api);
});
afterAll(async () => server.stop());

function configMap(name: string, extra: Partial<V1ConfigMap> = {}): V1ConfigMap {
  return { data: { a: "1" }, ...extra, metadata: { name, ...extra.metadata } };
}

function pod(name: string, labels: Record<string, string> = {}): V1Pod {
  return {
    metadata: { name, labels },
    spec: { containers: [{ name: "main", image: "busybox", env: [{ name: "A", value: "1" }] }] },
  };
}

describe("create, get, update", () => {
  it("assigns uid, creationTimestamp, generation 1 and a growing resourceVersion", async () => {
    const a = await core.createNamespacedConfigMap({ namespace, body: configMap("crud-a") });
    const b = await core.createNamespacedConfigMap({ namespace, body: configMap("crud-b") });
    expect(a.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    // ConfigMaps have no spec, hence no generation; pods and custom resources do.
    expect(a.metadata?.generation).toBeUndefined();
    expect(a.metadata?.namespace).toBe(namespace);
    expect(Number(b.metadata?.resourceVersion)).toBeGreaterThan(Number(a.metadata?.resourceVersion));
    const read = await core.readNamespacedConfigMap({ name: "crud-a", namespace });
    expect(read.metadata?.resourceVersion).toBe(a.metadata?.resourceVersion);
    expect(read.data).toEqual({ a: "1" });
  });

  it("answers AlreadyExists, NotFound and Invalid as Status objects", async () => {
    await core.createNamespacedConfigMap({ namespace, body: configMap("crud-dup") });
    const dup = await failure(core.createNamespacedConfigMap({ namespace, body: configMap("crud-dup") }));
    expect(dup).toMatchObject({
      code: 409,
      reason: "AlreadyExists",
      message: 'configmaps "crud-dup" already exists',
    });
    const missing = await failure(core.readNamespacedConfigMap({ name: "nope", namespace }));
    expect(missing).toMatchObject({ code: 404, reason: "NotFound", message: 'configmaps "nope" not found' });
    const bad = await failure(core.createNamespacedConfigMap({ namespace, body: configMap("Bad_Name") }));
    expect(bad.code).toBe(422);
    expect(bad.reason).toBe("Invalid");
    expect(bad.details?.causes?.[0]).toMatchObject({ field: "metadata.name", reason: "FieldValueInvalid" });
    const noNs = await failure(core.createNamespacedConfigMap({ namespace: "absent", body: configMap("x") }));
    expect(noNs).toMatchObject({ code: 404, message: 'namespaces "absent" not found' });
  });

  it("refuses a resourceVersion on create and a different uid on update", async () => {
    const withRv = await failure(
      core.createNamespacedConfigMap({
        namespace,
        body: configMap("crud-rv", { metadata: { resourceVersion: "5" } }),
      }),
    );
    expect(withRv.code).toBe(500);
    const made = await core.createNamespacedConfigMap({ namespace, body: configMap("crud-uid") });
    const other = await failure(
      core.replaceNamespacedConfigMap({
        name: "crud-uid",
        namespace,
        body: { ...made, metadata: { ...made.metadata, uid: "00000000-0000-0000-0000-000000000000" } },
      }),
    );
    expect(other).toMatchObject({ code: 409, reason: "Conflict" });
  });

  it("stores a Secret's stringData as base64 data", async () => {
    const made = await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: "s3-creds" },
        data: { a: Buffer.from("x").toString("base64") },
        stringData: { AWS_ACCESS_KEY_ID: "key" },
      },
    });
    expect(made.stringData).toBeUndefined();
    expect(made.data).toEqual({ a: "eA==", AWS_ACCESS_KEY_ID: Buffer.from("key").toString("base64") });
  });

  it("generates names from generateName", async () => {
    const made = await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { generateName: "gen-" } },
    });
    expect(made.metadata?.name).toMatch(/^gen-[0-9a-z]{5}$/);
  });

  it("rejects an update with a stale resourceVersion with 409 Conflict", async () => {
    const v1 = await core.createNamespacedConfigMap({ namespace, body: configMap("crud-cas") });
    const v2 = await core.replaceNamespacedConfigMap({
      name: "crud-cas",
      namespace,
      body: { ...v1, data: { a: "2" } },
    });
    expect(v2.metadata?.resourceVersion).not.toBe(v1.metadata?.resourceVersion);
    const stale = await failure(
      core.replaceNamespacedConfigMap({ name: "crud-cas", namespace, body: { ...v1, data: { a: "3" } } }),
    );
    expect(stale).toMatchObject({ code: 409, reason: "Conflict" });
    expect(stale.message).toContain("the object has been modified");
    expect((await core.readNamespacedConfigMap({ name: "crud-cas", namespace })).data).toEqual({ a: "2" });
  });

  it("does not write or bump resourceVersion for an update that changes nothing", async () => {
    const v1 = await core.createNamespacedConfigMap({ namespace, body: configMap("crud-noop") });
    const v2 = await core.replaceNamespacedConfigMap({ name: "crud-noop", namespace, body: v1 });
    expect(v2.metadata?.resourceVersion).toBe(v1.metadata?.resourceVersion);
  });

  it("bumps generation on spec changes only, and /status writes only status", async () => {
    const created = await core.createNamespacedPod({ namespace, body: pod("gen-pod") });
    expect(created.status?.phase).toBe("Pending");
    const labelled = await core.patchNamespacedPod(
      { name: "gen-pod", namespace, body: { metadata: { labels: { x: "y" } } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    expect(labelled.metadata?.generation).toBe(1);
    const image = await core.patchNamespacedPod(
      { name: "gen-pod", namespace, body: { spec: { containers: [{ name: "main", image: "busybox:2" }] } } },
      setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
    );
    expect(image.metadata?.generation).toBe(2);
    // Strategic merge keyed containers by name: the env of the container survived.
    expect(image.spec?.containers[0].env).toEqual([{ name: "A", value: "1" }]);
    const viaMain = await core.replaceNamespacedPod({
      name: "gen-pod",
      namespace,
      body: { ...image, status: { phase: "Running" } },
    });
    expect(viaMain.status?.phase).toBe("Pending");
    const viaStatus = await core.replaceNamespacedPodStatus({
      name: "gen-pod",
      namespace,
      body: {
        ...viaMain,
        metadata: { ...viaMain.metadata, labels: { changed: "no" } },
        status: { phase: "Running" },
      },
    });
    expect(viaStatus.status?.phase).toBe("Running");
    expect(viaStatus.metadata?.labels).toEqual({ x: "y" });
    expect(viaStatus.metadata?.generation).toBe(2);
  });

  it("resolves a pod's priorityClassName to its priority, and refuses unknown classes", async () => {
    const reply = await requestJson(server, "POST", "/apis/scheduling.k8s.io/v1/priorityclasses", {
      metadata: { name: "batch-high" },
      value: 1000,
    });
    expect(reply.status).toBe(201);
    const high = await core.createNamespacedPod({
      namespace,
      body: { ...pod("prio"), spec: { ...pod("prio").spec!, priorityClassName: "batch-high" } },
    });
    expect(high.spec?.priority).toBe(1000);
    const unknown = await failure(
      core.createNamespacedPod({
        namespace,
        body: { ...pod("prio-x"), spec: { ...pod("prio-x").spec!, priorityClassName: "nope" } },
      }),
    );
    expect(unknown).toMatchObject({ code: 403, reason: "Forbidden" });
  });

  it("forbids changing immutable pod spec fields", async () => {
    await core.createNamespacedPod({ namespace, body: pod("immutable-pod") });
    const err = await failure(
      core.patchNamespacedPod(
        { name: "immutable-pod", namespace, body: { spec: { restartPolicy: "Never" } } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      ),
    );
    expect(err).toMatchObject({ code: 422, reason: "Invalid" });
  });
});

describe("patch", () => {
  it("applies merge patches (null deletes) and JSON patches (a failed test is 422)", async () => {
    await core.createNamespacedConfigMap({
      namespace,
      body: configMap("patch-me", { data: { a: "1", b: "2" } }),
    });
    const merged = await core.patchNamespacedConfigMap(
      { name: "patch-me", namespace, body: { data: { a: null, c: "3" } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    expect(merged.data).toEqual({ b: "2", c: "3" });
    const patched = await core.patchNamespacedConfigMap(
      {
        name: "patch-me",
        namespace,
        body: [
          { op: "test", path: "/data/b", value: "2" },
          { op: "replace", path: "/data/b", value: "20" },
          { op: "add", path: "/metadata/labels", value: { k: "v" } },
        ],
      },
      setHeaderOptions("Content-Type", PatchStrategy.JsonPatch),
    );
    expect(patched.data).toEqual({ b: "20", c: "3" });
    expect(patched.metadata?.labels).toEqual({ k: "v" });
    const failed = await failure(
      core.patchNamespacedConfigMap(
        { name: "patch-me", namespace, body: [{ op: "test", path: "/data/b", value: "2" }] },
        setHeaderOptions("Content-Type", PatchStrategy.JsonPatch),
      ),
    );
    expect(failed.code).toBe(422);
  });

  it("treats a resourceVersion inside a patch as a precondition", async () => {
    const v1 = await core.createNamespacedConfigMap({ namespace, body: configMap("patch-rv") });
    await core.patchNamespacedConfigMap(
      { name: "patch-rv", namespace, body: { data: { a: "2" } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    const stale = await failure(
      core.patchNamespacedConfigMap(
        {
          name: "patch-rv",
          namespace,
          body: { metadata: { resourceVersion: v1.metadata?.resourceVersion }, data: { a: "3" } },
        },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      ),
    );
    expect(stale.code).toBe(409);
  });
});

describe("selectors", () => {
  it("filters lists by label and field selectors", async () => {
    await core.createNamespace({ body: { metadata: { name: "sel" } } });
    for (const [name, tier] of [
      ["s1", "web"],
      ["s2", "db"],
      ["s3", "cache"],
    ] as const) {
      await core.createNamespacedPod({
        namespace: "sel",
        body: pod(name, { tier, ...(name === "s3" ? {} : { app: "x" }) }),
      });
    }
    const names = async (labelSelector?: string, fieldSelector?: string) =>
      (await core.listNamespacedPod({ namespace: "sel", labelSelector, fieldSelector })).items
        .map((p) => p.metadata?.name)
        .sort();
    expect(await names("tier=web")).toEqual(["s1"]);
    expect(await names("tier!=web")).toEqual(["s2", "s3"]);
    expect(await names("tier in (web, db)")).toEqual(["s1", "s2"]);
    expect(await names("tier notin (web),app")).toEqual(["s2"]);
    expect(await names("!app")).toEqual(["s3"]);
    expect(await names(undefined, "metadata.name=s2")).toEqual(["s2"]);
    expect(await names(undefined, "status.phase=Pending,metadata.name!=s1")).toEqual(["s2", "s3"]);
    expect(await names(undefined, "spec.nodeName=")).toEqual(["s1", "s2", "s3"]);
    const all = await core.listPodForAllNamespaces({ fieldSelector: "metadata.namespace=sel" });
    expect(all.items).toHaveLength(3);
  });
});

describe("deletion", () => {
  it("keeps an object with finalizers until they are removed, and refuses new ones meanwhile", async () => {
    await core.createNamespacedConfigMap({
      namespace,
      body: configMap("fin", { metadata: { finalizers: ["example.io/keep"] } }),
    });
    await core.deleteNamespacedConfigMap({ name: "fin", namespace });
    const read = await core.readNamespacedConfigMap({ name: "fin", namespace });
    expect(read.metadata?.deletionTimestamp).toBeDefined();
    const more = await failure(
      core.replaceNamespacedConfigMap({
        name: "fin",
        namespace,
        body: { ...read, metadata: { ...read.metadata, finalizers: ["example.io/keep", "more"] } },
      }),
    );
    expect(more.code).toBe(422);
    await core.replaceNamespacedConfigMap({
      name: "fin",
      namespace,
      body: { ...read, metadata: { ...read.metadata, finalizers: [] } },
    });
    expect((await failure(core.readNamespacedConfigMap({ name: "fin", namespace }))).code).toBe(404);
  });

  it("checks delete preconditions", async () => {
    await core.createNamespacedConfigMap({ namespace, body: configMap("pre") });
    const err = await failure(
      core.deleteNamespacedConfigMap({ name: "pre", namespace, body: { preconditions: { uid: "not-it" } } }),
    );
    expect(err.code).toBe(409);
  });

  const owned = async (owner: V1ConfigMap, name: string, finalizers?: string[]) =>
    core.createNamespacedConfigMap({
      namespace,
      body: configMap(name, {
        metadata: {
          finalizers,
          ownerReferences: [
            {
              apiVersion: "v1",
              kind: "ConfigMap",
              name: owner.metadata?.name ?? "",
              uid: owner.metadata?.uid ?? "",
              blockOwnerDeletion: true,
            },
          ],
        },
      }),
    });
  const exists = async (name: string) =>
    core.readNamespacedConfigMap({ name, namespace }).then(
      (o) => o,
      () => undefined,
    );

  it("collects dependents in the background once the owner is gone", async () => {
    const owner = await core.createNamespacedConfigMap({ namespace, body: configMap("bg-owner") });
    await owned(owner, "bg-dep-1");
    await owned(owner, "bg-dep-2");
    await core.deleteNamespacedConfigMap({ name: "bg-owner", namespace, propagationPolicy: "Background" });
    expect(await exists("bg-owner")).toBeUndefined();
    await until(
      "dependents collected",
      async () => !(await exists("bg-dep-1")) && !(await exists("bg-dep-2")),
    );
  });

  it("deletes the owner last in foreground deletion, waiting for blocking dependents", async () => {
    const owner = await core.createNamespacedConfigMap({ namespace, body: configMap("fg-owner") });
    await owned(owner, "fg-dep", ["example.io/hold"]);
    await core.deleteNamespacedConfigMap({ name: "fg-owner", namespace, propagationPolicy: "Foreground" });
    const held = await until("dependent marked for deletion", async () => {
      const dep = await exists("fg-dep");
      return dep?.metadata?.deletionTimestamp ? dep : undefined;
    });
    const ownerNow = await exists("fg-owner");
    expect(ownerNow?.metadata?.finalizers).toContain("foregroundDeletion");
    expect(ownerNow?.metadata?.deletionTimestamp).toBeDefined();
    await core.replaceNamespacedConfigMap({
      name: "fg-dep",
      namespace,
      body: { ...held, metadata: { ...held.metadata, finalizers: [] } },
    });
    await until("owner deleted after its dependent", async () => !(await exists("fg-owner")));
  });

  it("orphans dependents when asked", async () => {
    const owner = await core.createNamespacedConfigMap({ namespace, body: configMap("or-owner") });
    await owned(owner, "or-dep");
    await core.deleteNamespacedConfigMap({ name: "or-owner", namespace, propagationPolicy: "Orphan" });
    await until("owner gone", async () => !(await exists("or-owner")));
    const dep = await exists("or-dep");
    expect(dep?.metadata?.ownerReferences ?? []).toEqual([]);
  });

  it("empties a namespace before removing it", async () => {
    await core.createNamespace({ body: { metadata: { name: "doomed" } } });
    await core.createNamespacedConfigMap({
      namespace: "doomed",
      body: configMap("inside", { metadata: { finalizers: ["example.io/hold"] } }),
    });
    await core.deleteNamespace({ name: "doomed" });
    const ns = await core.readNamespace({ name: "doomed" });
    expect(ns.status?.phase).toBe("Terminating");
    const refused = await failure(
      core.createNamespacedConfigMap({ namespace: "doomed", body: configMap("late") }),
    );
    expect(refused.code).toBe(403);
    const inside = await until("content marked for deletion", async () => {
      const o = await core.readNamespacedConfigMap({ name: "inside", namespace: "doomed" });
      return o.metadata?.deletionTimestamp ? o : undefined;
    });
    await core.replaceNamespacedConfigMap({
      name: "inside",
      namespace: "doomed",
      body: { ...inside, metadata: { ...inside.metadata, finalizers: [] } },
    });
    await until("namespace removed", async () =>
      (await core.listNamespace()).items.every((n) => n.metadata?.name !== "doomed"),
    );
  });

  it("deletes a collection by label", async () => {
    await core.createNamespace({ body: { metadata: { name: "coll" } } });
    for (const n of ["c1", "c2", "c3"]) {
      await core.createNamespacedConfigMap({
        namespace: "coll",
        body: configMap(n, { metadata: { labels: { drop: n === "c3" ? "no" : "yes" } } }),
      });
    }
    await core.deleteCollectionNamespacedConfigMap({ namespace: "coll", labelSelector: "drop=yes" });
    expect(
      (await core.listNamespacedConfigMap({ namespace: "coll" })).items.map((c) => c.metadata?.name),
    ).toEqual(["c3"]);
  });
});

describe("metadata validation and limits", () => {
  it.each([
    ["a label value over 63 characters", { labels: { app: "x".repeat(64) } }, "metadata.labels"],
    ["a label key with a bad character", { labels: { "bad key": "v" } }, "metadata.labels"],
    [
      "an annotation key with an invalid prefix",
      { annotations: { "Bad_Prefix/x": "v" } },
      "metadata.annotations",
    ],
    [
      "two controller owner references",
      {
        ownerReferences: [
          { apiVersion: "v1", kind: "ConfigMap", name: "a", uid: "1", controller: true },
          { apiVersion: "v1", kind: "ConfigMap", name: "b", uid: "2", controller: true },
        ],
      },
      "metadata.ownerReferences",
    ],
  ])("rejects %s with 422", async (_what, meta, field) => {
    const err = await failure(
      core.createNamespacedConfigMap({ namespace, body: { metadata: { name: "meta-bad", ...meta } } }),
    );
    expect(err.code).toBe(422);
    expect(err.details?.causes?.map((c) => c.field)).toContain(field);
  });

  it("refuses request bodies over 3 MiB with 413", async () => {
    const reply = await requestJson(server, "POST", "/api/v1/namespaces/default/configmaps", {
      metadata: { name: "huge" },
      data: { blob: "x".repeat(3 * 1024 * 1024) },
    });
    expect(reply.status).toBe(413);
  });
});

describe("list chunking", () => {
  it("pages with limit and continue, each item exactly once", async () => {
    await core.createNamespace({ body: { metadata: { name: "paged" } } });
    for (let i = 0; i < 5; i++)
      await core.createNamespacedConfigMap({ namespace: "paged", body: configMap(`item-${i}`) });
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const chunk = await core.listNamespacedConfigMap({ namespace: "paged", limit: 2, _continue: token });
      names.push(...chunk.items.map((c) => c.metadata?.name ?? ""));
      token = chunk.metadata?._continue;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(names).toEqual(["item-0", "item-1", "item-2", "item-3", "item-4"]);
  });

  it("expires a continue token older than the history with 410", async () => {
    const first = await core.listNamespacedConfigMap({ namespace: "paged", limit: 1 });
    await core.createNamespacedConfigMap({ namespace: "paged", body: configMap("later") });
    server.store.compact();
    const err = await failure(
      core.listNamespacedConfigMap({ namespace: "paged", limit: 1, _continue: first.metadata?._continue }),
    );
    expect(err).toMatchObject({ code: 410, reason: "Expired" });
  });
});
