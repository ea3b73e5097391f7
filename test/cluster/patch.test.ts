/** Patch formats and selector parsing as tables of cases. */
import { describe, expect, it } from "vitest";
import { jsonPatch, mergePatch, strategicMerge } from "./patch.ts";
import { fieldMatcher, labelMatcher } from "./selectors.ts";
import type { KubeObject } from "./resources.ts";

const pod = {
  metadata: { name: "p", labels: { a: "1" }, finalizers: ["x"] },
  spec: {
    containers: [
      {
        name: "main",
        image: "m:1",
        env: [
          { name: "A", value: "1" },
          { name: "B", value: "2" },
        ],
      },
      { name: "side", image: "s:1" },
    ],
    volumes: [{ name: "v1", emptyDir: {} }],
  },
};

describe("strategicMerge", () => {
  it.each([
    [
      "merges containers by name",
      { spec: { containers: [{ name: "side", image: "s:2" }] } },
      (o: typeof pod) => o.spec.containers.map((c) => c.image),
      ["m:1", "s:2"],
    ],
    [
      "appends a new container",
      { spec: { containers: [{ name: "new", image: "n" }] } },
      (o: typeof pod) => o.spec.containers.map((c) => c.name),
      ["main", "side", "new"],
    ],
    [
      "deletes a keyed item with $patch: delete",
      { spec: { containers: [{ name: "side", $patch: "delete" }] } },
      (o: typeof pod) => o.spec.containers.map((c) => c.name),
      ["main"],
    ],
    [
      "merges nested keyed lists (env)",
      { spec: { containers: [{ name: "main", env: [{ name: "B", value: "20" }] }] } },
      (o: typeof pod) => o.spec.containers[0].env,
      [
        { name: "A", value: "1" },
        { name: "B", value: "20" },
      ],
    ],
    [
      "unions finalizers",
      { metadata: { finalizers: ["y", "x"] } },
      (o: typeof pod) => o.metadata.finalizers,
      ["x", "y"],
    ],
    [
      "deletes from a primitive list",
      { metadata: { "$deleteFromPrimitiveList/finalizers": ["x"] } },
      (o: typeof pod) => o.metadata.finalizers,
      [],
    ],
    [
      "ignores $setElementOrder",
      { spec: { "$setElementOrder/containers": [{ name: "side" }, { name: "main" }] } },
      (o: typeof pod) => o.spec.containers.length,
      2,
    ],
    [
      "removes a key set to null",
      { metadata: { labels: { a: null } } },
      (o: typeof pod) => o.metadata.labels,
      {},
    ],
    [
      "replaces a list with $patch: replace",
      { spec: { volumes: [{ $patch: "replace" }, { name: "v2", emptyDir: {} }] } },
      (o: typeof pod) => o.spec.volumes,
      [{ name: "v2", emptyDir: {} }],
    ],
  ])("%s", (_what, patch, view, expected) => {
    expect(view(strategicMerge(pod, patch) as typeof pod)).toEqual(expected);
  });
});

describe("mergePatch and jsonPatch", () => {
  it("replaces lists wholesale under merge patch", () => {
    expect((mergePatch(pod, { spec: { volumes: [] } }) as typeof pod).spec.volumes).toEqual([]);
  });

  it.each([
    ["move", { a: 1 }, [{ op: "move", from: "/a", path: "/b" }], { b: 1 }],
    ["copy", { a: 1 }, [{ op: "copy", from: "/a", path: "/b" }], { a: 1, b: 1 }],
    ["append with -", { l: [1, 2] }, [{ op: "add", path: "/l/-", value: 3 }], { l: [1, 2, 3] }],
    ["remove from a list", { l: [1, 2] }, [{ op: "remove", path: "/l/0" }], { l: [2] }],
    ["escaped keys", { a: 1 }, [{ op: "add", path: "/x~1y", value: 2 }], { a: 1, "x/y": 2 }],
  ])("applies %s", (_what, doc, ops, expected) => {
    expect(jsonPatch(doc, ops)).toEqual(expected);
  });

  it("refuses to replace a missing path", () => {
    expect(() => jsonPatch({ a: 1 }, [{ op: "replace", path: "/b", value: 2 }])).toThrow(/does not exist/);
  });
});

describe("selectors", () => {
  const obj = (labels: Record<string, string>, extra: Record<string, unknown> = {}): KubeObject => ({
    metadata: { name: "o", labels },
    ...extra,
  });

  it.each([
    ["env in (prod,staging),tier", { env: "prod", tier: "web" }, true],
    ["env in (prod,staging),tier", { env: "dev", tier: "web" }, false],
    ["env notin (prod)", {}, true],
    ["!tier", { tier: "x" }, false],
    ["env==prod", { env: "prod" }, true],
    ["", { env: "prod" }, true],
  ])("label selector %j on %j is %s", (selector, labels, expected) => {
    expect(labelMatcher(selector)(obj(labels))).toBe(expected);
  });

  it("rejects a malformed label selector with 400", () => {
    expect(() => labelMatcher("a in (b")).toThrow(expect.objectContaining({ code: 400 }));
  });

  it("matches field selectors on nested paths", () => {
    const o = obj({}, { spec: { nodeName: "n1" }, status: { phase: "Running" } });
    expect(fieldMatcher("spec.nodeName=n1,status.phase!=Failed")(o)).toBe(true);
    expect(fieldMatcher("spec.nodeName==n2")(o)).toBe(false);
  });
});
