import { describe, expect, it } from "vitest";
import type { Expr } from "../../worker/ops/bandmath/ast.ts";
import { parseExpression } from "../../worker/ops/bandmath/parse.ts";

/** The tree in a compact prefix form, so that precedence and associativity are visible. */
function show(e: Expr): string {
  switch (e.kind) {
    case "number":
      return String(e.value);
    case "band":
      return `${e.input}.b${e.band}`;
    case "negate":
      return `(neg ${show(e.arg)})`;
    case "not":
      return `(! ${show(e.arg)})`;
    case "binary":
      return `(${e.op} ${show(e.left)} ${show(e.right)})`;
    case "conditional":
      return `(? ${show(e.test)} ${show(e.then)} ${show(e.else)})`;
    case "call":
      return `(${e.fn} ${e.args.map(show).join(" ")})`;
  }
}

const parsed = (src: string): string => {
  const r = parseExpression(src);
  if (!r.ok) throw new Error(r.error.message);
  return show(r.expr);
};

describe("band-math parser", () => {
  it.each([
    ["(im.b4 - im.b3) / (im.b4 + im.b3)", "(/ (- im.b4 im.b3) (+ im.b4 im.b3))"],
    ["1 + 2 * 3", "(+ 1 (* 2 3))"],
    ["1 - 2 - 3", "(- (- 1 2) 3)"],
    ["2 ^ 3 ^ 2", "(^ 2 (^ 3 2))"],
    ["-a.b1 ^ 2", "(neg (^ a.b1 2))"],
    ["a.b1 < 0.2 || a.b2 >= 1e3 && !(a.b3 == 0)", "(|| (< a.b1 0.2) (&& (>= a.b2 1000) (! (== a.b3 0))))"],
    ["w.b1 > 0.2 ? 1 : v.b1 < 0.1 ? 2 : 0", "(? (> w.b1 0.2) 1 (? (< v.b1 0.1) 2 0))"],
    ["clamp(min(a.b1, a.b2, 3), -1, sqrt(abs(a.b3)))", "(clamp (min a.b1 a.b2 3) (neg 1) (sqrt (abs a.b3)))"],
    [".5 * im_2.b12", "(* 0.5 im_2.b12)"],
  ])("%s → %s", (src, tree) => expect(parsed(src)).toBe(tree));

  it.each([
    ["im.b4 -", 7, /expected a value but found the end/],
    ["im.b0", 3, /bands are numbered from 1/],
    ["im.x4", 3, /expected a band like 'im.b1'/],
    ["im", 0, /neither a function nor a band reference/],
    ["log(1, 2)", 0, /log\(\) takes 1 argument, got 2/],
    ["max(1)", 0, /max\(\) takes at least 2 arguments, got 1/],
    ["a.b1 # 2", 5, /unexpected character '#'/],
    ["(a.b1", 5, /expected '\)'/],
    ["a.b1 a.b2", 5, /unexpected 'a'/],
  ])("rejects %j at %i", (src, at, message) => {
    const r = parseExpression(src);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.at).toBe(at);
    expect(r.error.message).toMatch(message);
  });
});
