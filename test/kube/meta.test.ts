import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatTaskList,
  labelValue,
  objectName,
  parseTaskList,
  uidPrefix,
} from "../../operator/kube/meta.ts";

const UID = "9f3c2a1b-0d4e-4b6f-8a7c-1e2d3c4b5a69";
const chain = (name: string) => ({ name, namespace: "eo", uid: UID });
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

describe("object names", () => {
  it.each([
    ["a short name", "s2-ndvi", "l3-b17-a1", "s2-ndvi-9f3c2-l3-b17-a1"],
    ["a dotted name", "tile.v2", "chain", "tile-v2-9f3c2-chain"],
    ["upper case", "NDVI", "chain", "ndvi-9f3c2-chain"],
    ["a long name, shortened to fit", "x".repeat(80), "l12-b345-a2", `${"x".repeat(45)}-9f3c2-l12-b345-a2`],
    [
      "a cut that would end in '-'",
      `${"a".repeat(44)}-bbbb`,
      "l12-b345-a2",
      `${"a".repeat(44)}-9f3c2-l12-b345-a2`,
    ],
    ["a suffix that leaves no room", "chain", `l1-b${"9".repeat(52)}`, `9f3c2-l1-b${"9".repeat(52)}`],
  ])("%s", (_, name, suffix, expected) => {
    const got = objectName(chain(name), suffix);
    expect(got).toBe(expected);
    expect(got.length).toBeLessThanOrEqual(63);
    expect(got).toMatch(DNS_LABEL);
  });

  it("refuses a suffix that cannot fit or is not a label", () => {
    expect(() => objectName(chain("c"), "x".repeat(60))).toThrow(RangeError);
    expect(() => objectName(chain("c"), "L1")).toThrow(RangeError);
  });

  it("is a DNS-1123 label of at most 63 chars that ends with the whole suffix, for any chain name", () => {
    const nameArb = fc.stringMatching(/^[a-z0-9]([-a-z0-9.]{0,120}[a-z0-9])?$/);
    fc.assert(
      fc.property(
        nameArb,
        fc.nat(65535),
        fc.nat(10_000_000),
        fc.integer({ min: 1, max: 999 }),
        (n, l, b, a) => {
          const suffix = `l${l}-b${b}-a${a}`;
          const got = objectName(chain(n), suffix);
          expect(got).toMatch(DNS_LABEL);
          expect(got.length).toBeLessThanOrEqual(63);
          expect(got.endsWith(`-9f3c2-${suffix}`) || got === `9f3c2-${suffix}`).toBe(true);
        },
      ),
      { numRuns: 300, seed: 3 },
    );
  });

  it("takes the uid prefix from alphanumerics", () => {
    expect(uidPrefix("ab-cd-ef")).toBe("abcde");
    expect(() => uidPrefix("a-b")).toThrow(RangeError);
  });

  it.each([
    ["plain", "s2-ndvi", "s2-ndvi"],
    ["too long", "a".repeat(70), "a".repeat(63)],
    ["odd characters and ends", "-x/y_", "x-y"],
  ])("label value: %s", (_, text, expected) => expect(labelValue(text)).toBe(expected));
});

describe("task lists", () => {
  it.each([
    ["empty", [], ""],
    ["one", [7], "7"],
    ["a pair stays a pair", [3, 4], "3,4"],
    ["runs become ranges", [3, 4, 9, 10, 11, 12], "3,4,9-12"],
    ["execution order is kept", [12, 11, 10, 1, 2, 3], "12,11,10,1-3"],
  ])("%s", (_, tasks, text) => expect(formatTaskList(tasks)).toBe(text));

  it("reads back as the same tasks in the same order", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat(300), { maxLength: 80 }), fc.boolean(), (tasks, sorted) => {
        const list = sorted ? [...tasks].sort((x, y) => x - y) : tasks;
        expect(parseTaskList(formatTaskList(list))).toEqual(list);
      }),
      { numRuns: 300, seed: 4 },
    );
  });
});
