import { FUNCTIONS, type BinaryOp, type Expr, type ExprError, type FunctionName } from "./ast.ts";

/**
 * Recursive-descent parser for band math: `alias.bK` (1-based band K of input `alias`), numbers,
 * + - * / ^ (right-associative), comparisons, && || !, `c ? a : b`, and abs sqrt log exp min max clamp.
 * Precedence, loosest first: ?:  ||  &&  == !=  < <= > >=  + -  * /  unary - !  ^.
 */
export type ParseResult =
  { readonly ok: true; readonly expr: Expr } | { readonly ok: false; readonly error: ExprError };

type Token =
  | { kind: "num"; value: number; at: number }
  | { kind: "ident"; name: string; at: number }
  | { kind: "punct"; text: string; at: number }
  | { kind: "end"; at: number };

class SyntaxError extends Error {
  readonly at: number;
  constructor(at: number, message: string) {
    super(message);
    this.at = at;
  }
}

const PUNCT = [
  "<=",
  ">=",
  "==",
  "!=",
  "&&",
  "||",
  "+",
  "-",
  "*",
  "/",
  "^",
  "<",
  ">",
  "!",
  "?",
  ":",
  "(",
  ")",
  ",",
  ".",
];

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    const num = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(src.slice(i));
    if (num && !(c === "." && tokens.at(-1)?.kind === "ident")) {
      tokens.push({ kind: "num", value: Number(num[0]), at: i });
      i += num[0].length;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (ident) {
      tokens.push({ kind: "ident", name: ident[0], at: i });
      i += ident[0].length;
      continue;
    }
    const p = PUNCT.find((t) => src.startsWith(t, i));
    if (!p) throw new SyntaxError(i, `unexpected character '${c}'`);
    tokens.push({ kind: "punct", text: p, at: i });
    i += p.length;
  }
  tokens.push({ kind: "end", at: src.length });
  return tokens;
}

const LEVELS: readonly (readonly BinaryOp[])[] = [
  ["||"],
  ["&&"],
  ["==", "!="],
  ["<", "<=", ">", ">="],
  ["+", "-"],
  ["*", "/"],
];

export function parseExpression(src: string): ParseResult {
  let tokens: Token[];
  try {
    tokens = tokenize(src);
  } catch (e) {
    return { ok: false, error: toError(e) };
  }
  let pos = 0;
  const peek = (): Token => tokens[pos]!;
  const isPunct = (text: string): boolean => {
    const t = peek();
    return t.kind === "punct" && t.text === text;
  };
  const expect = (text: string): void => {
    if (!isPunct(text)) throw new SyntaxError(peek().at, `expected '${text}' but found ${describe(peek())}`);
    pos++;
  };

  const conditional = (): Expr => {
    const test = binary(0);
    if (!isPunct("?")) return test;
    const at = peek().at;
    pos++;
    const then = conditional();
    expect(":");
    return { kind: "conditional", test, then, else: conditional(), at };
  };
  const binary = (level: number): Expr => {
    if (level === LEVELS.length) return unary();
    let left = binary(level + 1);
    for (;;) {
      const t = peek();
      if (t.kind !== "punct" || !(LEVELS[level] as readonly string[]).includes(t.text)) return left;
      pos++;
      left = { kind: "binary", op: t.text as BinaryOp, left, right: binary(level + 1), at: t.at };
    }
  };
  const unary = (): Expr => {
    const t = peek();
    if (t.kind === "punct" && (t.text === "-" || t.text === "!")) {
      pos++;
      return { kind: t.text === "-" ? "negate" : "not", arg: unary(), at: t.at };
    }
    if (t.kind === "punct" && t.text === "+") {
      pos++;
      return unary();
    }
    return power();
  };
  const power = (): Expr => {
    const base = primary();
    if (!isPunct("^")) return base;
    const at = peek().at;
    pos++;
    return { kind: "binary", op: "^", left: base, right: unary(), at };
  };
  const primary = (): Expr => {
    const t = peek();
    if (t.kind === "num") {
      pos++;
      return { kind: "number", value: t.value, at: t.at };
    }
    if (t.kind === "punct" && t.text === "(") {
      pos++;
      const e = conditional();
      expect(")");
      return e;
    }
    if (t.kind !== "ident") throw new SyntaxError(t.at, `expected a value but found ${describe(t)}`);
    pos++;
    if (isPunct("(")) return call(t.name, t.at);
    if (!isPunct(".")) {
      throw new SyntaxError(
        t.at,
        `'${t.name}' is neither a function nor a band reference (write ${t.name}.b1)`,
      );
    }
    pos++;
    const b = peek();
    const m = b.kind === "ident" ? /^b(\d+)$/.exec(b.name) : null;
    if (!m) throw new SyntaxError(b.at, `expected a band like '${t.name}.b1' after '${t.name}.'`);
    pos++;
    const band = Number(m[1]);
    if (band < 1)
      throw new SyntaxError(
        b.at,
        `bands are numbered from 1: '${t.name}.${b.kind === "ident" ? b.name : ""}'`,
      );
    return { kind: "band", input: t.name, band, at: t.at };
  };
  const call = (name: string, at: number): Expr => {
    if (!Object.hasOwn(FUNCTIONS, name)) {
      throw new SyntaxError(at, `unknown function '${name}' (known: ${Object.keys(FUNCTIONS).join(", ")})`);
    }
    const fn = name as FunctionName;
    pos++;
    const args: Expr[] = [];
    if (!isPunct(")")) {
      args.push(conditional());
      while (isPunct(",")) {
        pos++;
        args.push(conditional());
      }
    }
    expect(")");
    const [min, max] = FUNCTIONS[fn];
    if (args.length < min || args.length > max) {
      const wanted = min === max ? `${min}` : `at least ${min}`;
      throw new SyntaxError(
        at,
        `${fn}() takes ${wanted} argument${min === 1 ? "" : "s"}, got ${args.length}`,
      );
    }
    return { kind: "call", fn, args, at };
  };

  try {
    const expr = conditional();
    if (peek().kind !== "end") throw new SyntaxError(peek().at, `unexpected ${describe(peek())}`);
    return { ok: true, expr };
  } catch (e) {
    return { ok: false, error: toError(e) };
  }
}

function describe(t: Token): string {
  switch (t.kind) {
    case "num":
      return `number ${t.value}`;
    case "ident":
      return `'${t.name}'`;
    case "punct":
      return `'${t.text}'`;
    case "end":
      return "the end of the expression";
  }
}

function toError(e: unknown): ExprError {
  if (e instanceof SyntaxError) return { at: e.at, message: e.message };
  throw e;
}
