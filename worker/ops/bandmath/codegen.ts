import type { BinaryOp, Expr, FunctionName } from "./ast.ts";

/**
 * JavaScript source for one band-math expression, built from the AST alone: the user's text never
 * reaches the generated code. Numbers go through `numberLiteral`, band references become the local
 * names that `local` gives them, operators and functions come from the fixed tables below.
 */
export function emitExpression(e: Expr, local: (input: string, band: number) => string): string {
  const emit = (n: Expr): string => {
    switch (n.kind) {
      case "number":
        return numberLiteral(n.value);
      case "band":
        return local(n.input, n.band);
      case "negate":
        return `(-${emit(n.arg)})`;
      case "not":
        return `(${emit(n.arg)} === 0 ? 1 : 0)`;
      case "binary":
        return binary(n.op, emit(n.left), emit(n.right));
      case "conditional":
        return `(${emit(n.test)} !== 0 ? ${emit(n.then)} : ${emit(n.else)})`;
      case "call":
        return call(n.fn, n.args.map(emit));
    }
  };
  return emit(e);
}

/** The names the generated code may use besides its locals; the compiler passes them in. */
export const HELPERS = { pow: "pow" } as const;

/**
 * C99 `pow` (what numpy, hence gdal_calc.py, computes): 1 for a base of 1 whatever the exponent, and for
 * a base of -1 with an infinite exponent, where JavaScript's `**` gives NaN. Otherwise the same.
 */
export function pow(a: number, b: number): number {
  if (a === 1 || (a === -1 && (b === Infinity || b === -Infinity))) return 1;
  return a ** b;
}

function binary(op: BinaryOp, a: string, b: string): string {
  switch (op) {
    case "+":
    case "-":
    case "*":
    case "/":
      return `(${a} ${op} ${b})`;
    case "^":
      return `${HELPERS.pow}(${a}, ${b})`;
    case "<":
    case "<=":
    case ">":
    case ">=":
      return `(${a} ${op} ${b} ? 1 : 0)`;
    case "==":
      return `(${a} === ${b} ? 1 : 0)`;
    case "!=":
      return `(${a} !== ${b} ? 1 : 0)`;
    case "&&":
      return `(${a} !== 0 && ${b} !== 0 ? 1 : 0)`;
    case "||":
      return `(${a} !== 0 || ${b} !== 0 ? 1 : 0)`;
  }
}

function call(fn: FunctionName, args: readonly string[]): string {
  switch (fn) {
    case "abs":
    case "sqrt":
    case "log":
    case "exp":
      return `Math.${fn}(${args[0]})`;
    case "min":
    case "max":
      return `Math.${fn}(${args.join(", ")})`;
    case "clamp":
      return `Math.min(Math.max(${args[0]}, ${args[1]}), ${args[2]})`;
  }
}

/** A number as a JavaScript expression that evaluates to exactly that double (signs, -0 and infinities too). */
export function numberLiteral(v: number): string {
  if (typeof v !== "number" || Number.isNaN(v)) throw new TypeError(`not a band-math constant: ${String(v)}`);
  if (v === Infinity) return "(1 / 0)";
  if (v === -Infinity) return "(-1 / 0)";
  if (Object.is(v, -0)) return "(-0)";
  // String(v) is the shortest decimal that reads back as v: digits, '.', 'e', '+', '-' only.
  return v < 0 ? `(${String(v)})` : String(v);
}
