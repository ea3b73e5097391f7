/** CustomResourceDefinitions through client-node: serving, schema defaults and validation, CEL transition rules, status, tables. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ApiextensionsV1Api,
  CustomObjectsApi,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesListObject,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { startApiServer, type ApiServer } from "./server.ts";
import { failure, kubeConfigOf, requestJson, until } from "./testing.ts";

let server: ApiServer;
let crds: ApiextensionsV1Api;
let custom: CustomObjectsApi;

const CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
const group = "example.io";
const version = "v1";
const plural = "gadgets";
const namespace = "default";

/** Plain JSON with the API field names: client-node models rename `enum`, `default` and `x-kubernetes-*`. */
const gadgetCrd = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: `${plural}.${group}` },
  spec: {
    group,
    scope: "Namespaced",
    names: { plural, singular: "gadget", kind: "Gadget", shortNames: ["gd"] },
    versions: [
      {
        name: version,
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: "Phase", type: "string", jsonPath: ".status.phase" },
          { name: "Size", type: "integer", jsonPath: ".spec.size" },
        ],
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              spec: {
                type: "object",
                required: ["size", "source"],
                properties: {
                  size: { type: "integer", minimum: 1, maximum: 10 },
                  mode: { type: "string", enum: ["fast", "slow"], default: "fast" },
                  tags: { type: "array", maxItems: 2, items: { type: "string", maxLength: 5 } },
                  source: {
                    type: "object",
                    properties: { uri: { type: "string" } },
                    "x-kubernetes-validations": [
                      { rule: "self == oldSelf", message: "source is immutable: create a new gadget" },
                    ],
                  },
                },
              },
              status: { type: "object", properties: { phase: { type: "string" } } },
            },
          },
        },
      },
    ],
  },
};

beforeAll(async () => {
  server = await startApiServer();
  const kc = kubeConfigOf(server);
  crds = kc.makeApiClient(ApiextensionsV1Api);
  custom = kc.makeApiClient(CustomObjectsApi);
  expect((await requestJson(server, "POST", CRDS, gadgetCrd)).status).toBe(201);
});
afterAll(async () => server.stop());

type Gadget = {
  metadata: { name: string; generation?: number; resourceVersion?: string };
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
};

const gadget = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: `${group}/${version}`,
  kind: "Gadget",
  metadata: { name },
  spec,
});
const create = (body: object) =>
  custom.createNamespacedCustomObject({ group, version, namespace, plural, body }) as Promise<Gadget>;

describe("custom resources", () => {
  it("marks the CRD Established and serves its resource in discovery", async () => {
    const crd = await crds.readCustomResourceDefinition({ name: `${plural}.${group}` });
    expect(crd.status?.conditions?.find((c) => c.type === "Established")?.status).toBe("True");
    const doc = (await (await fetch(`${server.url}/apis/${group}/${version}`)).json()) as {
      resources: { name: string; kind: string }[];
    };
    expect(doc.resources.map((r) => r.name).sort()).toEqual(["gadgets", "gadgets/status"]);
    const groups = (await (await fetch(`${server.url}/apis`)).json()) as { groups: { name: string }[] };
    expect(groups.groups.map((g) => g.name)).toContain(group);
  });

  it("applies schema defaults and prunes unknown fields", async () => {
    const made = await create(gadget("g-defaults", { size: 2, source: { uri: "s3://a" }, unknown: 1 }));
    expect(made.spec).toEqual({ size: 2, mode: "fast", source: { uri: "s3://a" } });
  });

  it("rejects unknown fields under fieldValidation=Strict", async () => {
    const err = await failure(
      custom.createNamespacedCustomObject({
        group,
        version,
        namespace,
        plural,
        body: gadget("g-strict", { size: 2, source: {}, bogus: 1 }),
        fieldValidation: "Strict",
      }),
    );
    expect(err.code).toBe(400);
    expect(err.message).toContain('unknown field "spec.bogus"');
  });

  it.each([
    ["a missing required field", { size: 1 }, "spec.source", "FieldValueRequired"],
    ["a wrong type", { size: "big", source: {} }, "spec.size", "FieldValueTypeInvalid"],
    [
      "a value outside the enum",
      { size: 1, source: {}, mode: "medium" },
      "spec.mode",
      "FieldValueNotSupported",
    ],
    ["too many items", { size: 1, source: {}, tags: ["a", "b", "c"] }, "spec.tags", "FieldValueTooMany"],
    ["too long a string", { size: 1, source: {}, tags: ["abcdef"] }, "spec.tags[0]", "FieldValueTooLong"],
    ["a number above the maximum", { size: 11, source: {} }, "spec.size", "FieldValueInvalid"],
  ])("rejects %s with 422 naming the field", async (_what, spec, field, reason) => {
    const err = await failure(create(gadget("g-bad", spec)));
    expect(err.code).toBe(422);
    expect(err.details?.causes).toContainEqual(expect.objectContaining({ field, reason }));
  });

  it("evaluates self == oldSelf on update only", async () => {
    const made = await create(gadget("g-immutable", { size: 1, source: { uri: "s3://one" } }));
    const err = await failure(
      custom.replaceNamespacedCustomObject({
        group,
        version,
        namespace,
        plural,
        name: "g-immutable",
        body: { ...made, spec: { ...made.spec, source: { uri: "s3://two" } } },
      }),
    );
    expect(err.code).toBe(422);
    expect(err.message).toContain("source is immutable: create a new gadget");
    const resized = (await custom.patchNamespacedCustomObject(
      { group, version, namespace, plural, name: "g-immutable", body: { spec: { size: 5 } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    )) as Gadget;
    expect(resized.spec.size).toBe(5);
    expect(resized.metadata.generation).toBe(2);
  });

  it("refuses CRDs with CEL rules the emulator cannot evaluate", async () => {
    const rule = structuredClone(gadgetCrd);
    rule.metadata = { name: "others.example.io" };
    rule.spec.names = { plural: "others", singular: "other", kind: "Other", shortNames: [] };
    Object.assign(rule.spec.versions[0].schema.openAPIV3Schema.properties.spec, {
      "x-kubernetes-validations": [{ rule: "self.size > 0" }],
    });
    const reply = await requestJson(server, "POST", CRDS, rule);
    expect(reply.status).toBe(422);
    expect(reply.body.message).toContain("the emulator evaluates only");
  });

  it("keeps status out of main writes and spec out of status writes", async () => {
    const made = await create(gadget("g-status", { size: 1, source: {} }));
    const main = (await custom.replaceNamespacedCustomObject({
      group,
      version,
      namespace,
      plural,
      name: "g-status",
      body: { ...made, status: { phase: "Hacked" } },
    })) as Gadget;
    expect(main.status).toBeUndefined();
    const status = (await custom.replaceNamespacedCustomObjectStatus({
      group,
      version,
      namespace,
      plural,
      name: "g-status",
      body: { ...main, spec: { size: 9, source: {} }, status: { phase: "Running" } },
    })) as Gadget;
    expect(status.status).toEqual({ phase: "Running" });
    expect(status.spec.size).toBe(1);
    expect(status.metadata.generation).toBe(1);
    const patched = (await custom.patchNamespacedCustomObjectStatus(
      { group, version, namespace, plural, name: "g-status", body: { status: { phase: "Done" } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    )) as Gadget;
    expect(patched.status).toEqual({ phase: "Done" });
  });

  it("renders printer columns as a Table", async () => {
    await create(gadget("g-table", { size: 7, source: {} }));
    const res = await fetch(
      `${server.url}/apis/${group}/${version}/namespaces/${namespace}/${plural}?fieldSelector=metadata.name%3Dg-table`,
      {
        headers: { Accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json" },
      },
    );
    const table = (await res.json()) as {
      kind: string;
      columnDefinitions: { name: string }[];
      rows: { cells: unknown[] }[];
    };
    expect(table.kind).toBe("Table");
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(["Name", "Phase", "Size"]);
    expect(table.rows).toEqual([expect.objectContaining({ cells: ["g-table", null, 7] })]);
  });

  it("stops serving the resource and drops its objects when the CRD is deleted", async () => {
    const temp = structuredClone(gadgetCrd);
    temp.metadata = { name: "temps.example.io" };
    temp.spec.names = { plural: "temps", singular: "temp", kind: "Temp", shortNames: [] };
    await requestJson(server, "POST", CRDS, temp);
    await custom.createNamespacedCustomObject({
      group,
      version,
      namespace,
      plural: "temps",
      body: {
        apiVersion: `${group}/${version}`,
        kind: "Temp",
        metadata: { name: "t" },
        spec: { size: 1, source: {} },
      },
    });
    await crds.deleteCustomResourceDefinition({ name: "temps.example.io" });
    await until(
      "resource unserved",
      async () =>
        (await fetch(`${server.url}/apis/${group}/${version}/namespaces/${namespace}/temps`)).status === 404,
    );
    expect(server.store.list("example.io/temps")).toEqual([]);
  });
});

describe("informer on a custom resource", () => {
  it("lists and follows custom objects through makeInformer", async () => {
    const kc = kubeConfigOf(server);
    const path = `/apis/${group}/${version}/namespaces/${namespace}/${plural}`;
    const informer = makeInformer<KubernetesObject>(
      kc,
      path,
      () =>
        custom.listNamespacedCustomObject({ group, version, namespace, plural }) as Promise<
          KubernetesListObject<KubernetesObject>
        >,
    );
    const events: string[] = [];
    informer.on("add", (o) => events.push(`add ${o.metadata?.name}`));
    informer.on("update", (o) => events.push(`update ${o.metadata?.name}`));
    informer.on("delete", (o) => events.push(`delete ${o.metadata?.name}`));
    await informer.start();
    try {
      await create(gadget("g-informed", { size: 1, source: {} }));
      await until("add", () => events.includes("add g-informed"));
      await custom.patchNamespacedCustomObjectStatus(
        { group, version, namespace, plural, name: "g-informed", body: { status: { phase: "Running" } } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
      await until("update", () => events.includes("update g-informed"));
      expect((informer.get("g-informed", namespace) as Gadget | undefined)?.status).toEqual({
        phase: "Running",
      });
      await custom.deleteNamespacedCustomObject({ group, version, namespace, plural, name: "g-informed" });
      await until("delete", () => events.includes("delete g-informed"));
    } finally {
      await informer.stop();
    }
  });
});

describe("server-side apply", () => {
  const url = (name: string, manager?: string) =>
    `${server.url}/apis/${group}/${version}/namespaces/${namespace}/${plural}/${name}${manager ? `?fieldManager=${manager}` : ""}`;
  async function apply(
    name: string,
    manager: string | undefined,
    spec: Record<string, unknown>,
  ): Promise<{ status: number; body: Gadget }> {
    const res = await fetch(url(name, manager), {
      method: "PATCH",
      headers: { "Content-Type": "application/apply-patch+yaml" },
      body: JSON.stringify(gadget(name, spec)),
    });
    return { status: res.status, body: (await res.json()) as Gadget };
  }

  it("creates, then removes the fields an applier stops applying, keeping those another applier owns", async () => {
    const created = await apply("ssa", "alice", { size: 2, source: { uri: "s3://a" }, tags: ["a"] });
    expect(created.status).toBe(201);
    expect(created.body.spec.tags).toEqual(["a"]);
    const dropped = await apply("ssa", "alice", { size: 3, source: { uri: "s3://a" } });
    expect(dropped.body.spec).toEqual({ size: 3, mode: "fast", source: { uri: "s3://a" } });
    await apply("ssa", "bob", { size: 3, source: { uri: "s3://a" }, tags: ["b"] });
    const kept = await apply("ssa", "alice", { size: 4, source: { uri: "s3://a" } });
    expect(kept.body.spec).toMatchObject({ size: 4, tags: ["b"] });
    const managers = (kept.body.metadata as { managedFields?: { manager: string }[] }).managedFields?.map(
      (m) => m.manager,
    );
    expect(managers?.sort()).toEqual(["alice", "bob"]);
  });

  it("does not write when the same configuration is applied again", async () => {
    const first = await apply("ssa-same", "alice", { size: 1, source: {} });
    const again = await apply("ssa-same", "alice", { size: 1, source: {} });
    expect(again.body.metadata.resourceVersion).toBe(first.body.metadata.resourceVersion);
  });

  it("requires a field manager", async () => {
    expect((await apply("ssa-anon", undefined, { size: 1, source: {} })).status).toBe(400);
  });
});
