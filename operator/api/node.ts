/** The lazy graph behind the API: plain immutable records, turned into a manifest only by a terminal call. */
import type { OpName } from "../../worker/ops/registry.ts";

export interface SourceNode {
  readonly kind: "source";
  /** Creation order: the manifest lists sources and steps in it, so the same code gives the same manifest. */
  readonly seq: number;
  readonly uri: string;
  readonly name: string | undefined;
  /** The band count the user declared: band references are checked at the call, the header at planning. */
  readonly bands: number | undefined;
}

export interface StepNode {
  readonly kind: "step";
  readonly seq: number;
  readonly op: OpName;
  readonly inputs: Readonly<Record<string, ChainNode>>;
  /** The params as the user wrote them (defaults are applied by the schema, not copied into the manifest). */
  readonly params: unknown;
  readonly name: string | undefined;
}

export type ChainNode = SourceNode | StepNode;

/** An output as the user wrote it: the node it writes, its URI and the optional fields of a spec output. */
export interface OutputNode {
  readonly node: ChainNode;
  readonly uri: string;
  readonly options: Readonly<Record<string, unknown>>;
}

let created = 0;

export function sourceNode(uri: string, name: string | undefined, bands: number | undefined): SourceNode {
  return Object.freeze({ kind: "source", seq: created++, uri, name, bands });
}

export function stepNode(
  op: OpName,
  inputs: Readonly<Record<string, ChainNode>>,
  params: unknown,
  name: string | undefined,
): StepNode {
  const frozen = deepFreeze(structuredClone(params));
  return Object.freeze({
    kind: "step",
    seq: created++,
    op,
    inputs: Object.freeze({ ...inputs }),
    params: frozen,
    name,
  });
}

/** A copy the caller cannot change afterwards: a node's params are part of its identity. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Every node reachable from `roots`, in creation order (which is a topological order). */
export function reachable(roots: readonly ChainNode[]): ChainNode[] {
  const seen = new Set<ChainNode>();
  const visit = (n: ChainNode): void => {
    if (seen.has(n)) return;
    seen.add(n);
    if (n.kind === "step") Object.values(n.inputs).forEach(visit);
  };
  roots.forEach(visit);
  return [...seen].sort((a, b) => a.seq - b.seq);
}
