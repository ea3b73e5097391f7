/** The store writer: a relist is invisible to readers until InitDone swaps it in, and reports only differences. */
import { describe, expect, it } from "vitest";
import { keyOf, splitKey, StoreWriter, type KubeObject } from "../../operator/kube/store.ts";

const obj = (name: string, rv: string, namespace = "ns"): KubeObject => ({
  metadata: { name, namespace, resourceVersion: rv },
});
const keys = (changes: { key: string }[]) => changes.map((c) => c.key).sort();

describe("StoreWriter", () => {
  it("keeps readers on the old state during a relist, swaps at InitDone, and reports only what differs", () => {
    const w = new StoreWriter<KubeObject>();
    expect(w.store.synced).toBe(false);
    w.apply({ type: "Init" });
    for (const o of [obj("a", "1"), obj("b", "1"), obj("c", "1")]) w.apply({ type: "InitApply", object: o });
    expect(w.store.size).toBe(0);
    expect(keys(w.apply({ type: "InitDone" }))).toEqual(["ns/a", "ns/b", "ns/c"]);
    expect(w.store.synced).toBe(true);

    w.apply({ type: "Init" });
    w.apply({ type: "InitApply", object: obj("a", "1") });
    w.apply({ type: "InitApply", object: obj("b", "2") });
    w.apply({ type: "InitApply", object: obj("d", "1") });
    expect(w.store.keys().sort()).toEqual(["ns/a", "ns/b", "ns/c"]);
    expect(w.store.get("ns/b")?.metadata?.resourceVersion).toBe("1");
    const changes = w.apply({ type: "InitDone" });
    expect(keys(changes)).toEqual(["ns/b", "ns/c", "ns/d"]);
    expect(changes.find((c) => c.key === "ns/c")?.after).toBeUndefined();
    expect(w.store.keys().sort()).toEqual(["ns/a", "ns/b", "ns/d"]);
  });

  it("applies watch events; a repeated version is no change; a delete reports the object it removed", () => {
    const w = new StoreWriter<KubeObject>();
    expect(keys(w.apply({ type: "Apply", object: obj("a", "5") }))).toEqual(["ns/a"]);
    expect(w.apply({ type: "Apply", object: obj("a", "5") })).toEqual([]);
    const [gone] = w.apply({ type: "Delete", object: obj("a", "6") });
    expect(gone?.before?.metadata?.resourceVersion).toBe("5");
    expect(w.store.size).toBe(0);
  });

  it("keys: namespace/name, or the name of a cluster-scoped object", () => {
    expect(keyOf(obj("n1", "1", ""))).toBe("n1");
    expect(keyOf(obj("p", "1", "eo"))).toBe("eo/p");
    expect(splitKey("eo/p")).toEqual({ namespace: "eo", name: "p" });
    expect(splitKey("n1")).toEqual({ name: "n1" });
    expect(() => keyOf({})).toThrow(/no key/);
  });
});
