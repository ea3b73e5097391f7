import { bandRefs, type Expr, type ExprError } from "./ast.ts";

/**
 * Type-check band references: every alias must be an input of the step and, when its band count is
 * known (`undefined` = not yet derived), every band index must exist. First problem only, so that one
 * mistake gives one message.
 */
export function checkExpression(
  expr: Expr,
  bandsByInput: ReadonlyMap<string, number | undefined>,
): ExprError | null {
  for (const ref of bandRefs(expr)) {
    if (!bandsByInput.has(ref.input)) {
      const known = [...bandsByInput.keys()].join(", ");
      return { at: ref.at, message: `'${ref.input}' is not an input of this step (inputs: ${known})` };
    }
    const bands = bandsByInput.get(ref.input);
    if (bands !== undefined && ref.band > bands) {
      return {
        at: ref.at,
        message: `${ref.input}.b${ref.band} does not exist: '${ref.input}' has ${bands} band${bands === 1 ? "" : "s"}`,
      };
    }
  }
  return null;
}
