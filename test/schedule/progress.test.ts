import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatIntervals,
  fromIndexes,
  has,
  merge,
  parseIntervals,
  total,
} from "../../operator/plan/intervals.ts";
import { decodeBitmap, encodeBitmap } from "../../operator/schedule/progress.ts";

describe("progress bitmaps", () => {
  it("decode ∘ encode = identity", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (raw) => {
        const bits = raw.map((b) => (b > 200 ? 1 : 0));
        expect(decodeBitmap(encodeBitmap(bits), bits.length)).toEqual(bits);
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it("holds long runs in a few bytes", () => {
    const bits = new Uint8Array(1_000_000);
    bits.fill(1, 0, 400_000);
    bits.fill(1, 500_000, 700_000);
    const text = encodeBitmap(bits);
    expect(text.length).toBeLessThanOrEqual(24); // 0 + 5 runs of at most 3 varint bytes
    expect(decodeBitmap(text, bits.length)).toEqual(bits);
  });

  // Fixed vectors: the format is part of the status contract. Runs 0,1 and 2,3, deflated (raw), base64url.
  it.each([
    ["AwA", 0, new Uint8Array(0)],
    ["Y2AEAA", 1, Uint8Array.of(1)],
    ["Y2IGAA", 5, Uint8Array.of(0, 0, 1, 1, 1)],
  ])("decodes %j into %i bits", (text, n, bits) => {
    expect(decodeBitmap(text, n)).toEqual(bits);
    expect(encodeBitmap(bits)).toBe(text);
  });

  it("rejects what is not a bitmap", () => expect(() => decodeBitmap("not-deflate", 3)).toThrow(RangeError));

  it("rejects runs that do not add up to the length", () => {
    expect(() => decodeBitmap(encodeBitmap(new Uint8Array(10)), 11)).toThrow(/cover 10 of 11/);
  });
});

describe("interval sets", () => {
  it.each([
    ["", []],
    ["3", [[3, 3]]],
    [
      "1,3-5",
      [
        [1, 1],
        [3, 5],
      ],
    ],
    [
      "0-2,3-4,9",
      [
        [0, 4],
        [9, 9],
      ],
    ],
  ] as const)("parses %j", (text, set) => expect(parseIntervals(text)).toEqual(set));

  it("format ∘ parse ∘ format = format, and membership and totals agree with the set", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat(500), { maxLength: 100 }), (indexes) => {
        const set = fromIndexes(indexes);
        const text = formatIntervals(set);
        expect(parseIntervals(text)).toEqual(set);
        expect(total(set)).toBe(indexes.length);
        for (let i = 0; i <= 501; i++) expect(has(set, i)).toBe(indexes.includes(i));
        expect(merge([...set, ...set])).toEqual(set);
      }),
      { numRuns: 200, seed: 11 },
    );
  });

  it.each(["a", "5-3", "1,,2", "-1"])("rejects %j", (text) =>
    expect(() => parseIntervals(text)).toThrow(SyntaxError),
  );
});
