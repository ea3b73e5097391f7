/** The store's global resourceVersion and its bounded history window. */
import { describe, expect, it } from "vitest";
import { Store } from "./store.ts";

const object = (name: string) => ({ metadata: { name, namespace: "ns" } });

describe("Store", () => {
  it("gives every write, across kinds, the next resourceVersion", () => {
    const store = new Store();
    const a = store.put("/configmaps", object("a"));
    const b = store.put("/secrets", object("b"));
    const gone = store.remove("/configmaps", a);
    expect([a, b, gone].map((o) => Number(o.metadata.resourceVersion))).toEqual([2, 3, 4]);
    expect(store.resourceVersion).toBe(4);
    expect(store.get("/configmaps", "ns", "a")).toBeUndefined();
  });

  it("replays events after a resourceVersion, and reports the window's start once older ones are trimmed", () => {
    const store = new Store(5);
    for (let i = 0; i < 20; i++) store.put("/configmaps", object(`o${i}`));
    // 20 writes with a limit of 5: the history was trimmed back to the last events.
    const oldest = store.oldestResumable;
    expect(oldest).toBeGreaterThan(2);
    expect(store.since(oldest - 1)).toBeUndefined();
    const tail = store.since(store.resourceVersion - 3);
    expect(tail?.map((e) => e.object.metadata.name)).toEqual(["o17", "o18", "o19"]);
    expect(store.since(store.resourceVersion)).toEqual([]);
  });

  it("marks MODIFIED events with the previous object", () => {
    const store = new Store();
    const events: string[] = [];
    store.subscribe((e) => events.push(`${e.type} ${e.previous?.metadata.resourceVersion ?? "-"}`));
    store.put("/configmaps", object("x"));
    store.put("/configmaps", { ...object("x"), data: { a: "1" } });
    expect(events).toEqual(["ADDED -", "MODIFIED 2"]);
  });
});
