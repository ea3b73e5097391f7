import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  packNodes,
  packNumbers,
  packRuns,
  unpackNodes,
  unpackNumbers,
  unpackRuns,
} from "../../operator/kube/lane-encoding.ts";

describe("runs", () => {
  it.each([
    ["no lanes", [], ""],
    ["one unknown", [""], ""],
    ["unknowns", ["", "", ""], "*3"],
    ["one run", ["0", "0", "0", "0"], "0*4"],
    ["mixed", ["n1", "n1", "", "n2", "n1"], "n1*2,,n2,n1"],
  ])("%s", (_, values, text) => {
    expect(packRuns(values)).toBe(text);
    expect(unpackRuns(text, values.length)).toEqual(values);
  });

  it.each([
    ["too few", "0*3", 4, /make 3 values, not 4/],
    ["too many", "0*3,1", 3, /more than 3/],
    ["a bad count", "0*x", 1, /not a run/],
    ["a zero count", "0*0", 0, /not a run/],
  ])("refuses %s", (_, text, n, message) => expect(() => unpackRuns(text, n)).toThrow(message));

  it("unpack ∘ pack = identity", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("", "a", "node-1", "ip-10-0-0-1.ec2.internal"), { maxLength: 60 }),
        (v) => {
          expect(unpackRuns(packRuns(v), v.length)).toEqual(v);
        },
      ),
      { numRuns: 300, seed: 1 },
    );
    fc.assert(
      fc.property(fc.array(fc.nat(3), { maxLength: 60 }), (v) => {
        expect(unpackNumbers(packNumbers(v), v.length)).toEqual(v);
      }),
      { numRuns: 300, seed: 2 },
    );
  });

  it("numbers are whole", () => expect(() => unpackNumbers("1,x", 2)).toThrow(/whole number/));
});

describe("nodes", () => {
  it("round-trips unknown and known nodes", () => {
    const nodes = ["node-0", "node-0", null, "node-1", null, null];
    expect(unpackNodes(packNodes(nodes), nodes.length)).toEqual(nodes);
  });

  it("is plain base64url text", () => expect(packNodes(["a.b-c", null])).toMatch(/^[A-Za-z0-9_-]*$/));

  it("refuses what is not a packed list", () => expect(() => unpackNodes("%%%", 1)).toThrow(RangeError));
});
