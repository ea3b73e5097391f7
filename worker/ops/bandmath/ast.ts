/** The band-math expression tree; `at` is the character offset in the source, for error messages. */
export const FUNCTIONS = {
  abs: [1, 1],
  sqrt: [1, 1],
  log: [1, 1],
  exp: [1, 1],
  min: [2, Infinity],
  max: [2, Infinity],
  clamp: [3, 3],
} as const;
export type FunctionName = keyof typeof FUNCTIONS;

export type BinaryOp = "+" | "-" | "*" | "/" | "^" | "<" | "<=" | ">" | ">=" | "==" | "!=" | "&&" | "||";

export type Expr =
  | { readonly kind: "number"; readonly value: number; readonly at: number }
  | { readonly kind: "band"; readonly input: string; readonly band: number; readonly at: number }
  | { readonly kind: "negate"; readonly arg: Expr; readonly at: number }
  | { readonly kind: "not"; readonly arg: Expr; readonly at: number }
  | {
      readonly kind: "binary";
      readonly op: BinaryOp;
      readonly left: Expr;
      readonly right: Expr;
      readonly at: number;
    }
  | {
      readonly kind: "conditional";
      readonly test: Expr;
      readonly then: Expr;
      readonly else: Expr;
      readonly at: number;
    }
  | { readonly kind: "call"; readonly fn: FunctionName; readonly args: readonly Expr[]; readonly at: number };

export interface ExprError {
  readonly at: number;
  readonly message: string;
}

/** Every band reference of an expression, in source order. */
export function bandRefs(
  e: Expr,
  out: Extract<Expr, { kind: "band" }>[] = [],
): Extract<Expr, { kind: "band" }>[] {
  switch (e.kind) {
    case "number":
      break;
    case "band":
      out.push(e);
      break;
    case "negate":
    case "not":
      bandRefs(e.arg, out);
      break;
    case "binary":
      bandRefs(e.left, out);
      bandRefs(e.right, out);
      break;
    case "conditional":
      bandRefs(e.test, out);
      bandRefs(e.then, out);
      bandRefs(e.else, out);
      break;
    case "call":
      for (const a of e.args) bandRefs(a, out);
      break;
  }
  return out;
}
