/**
 * The scheduler's decision for one pod, as a pure function of the pod, the nodes and what is
 * already placed: filters (readiness, nodeSelector, required node affinity, taints, resources,
 * volume node affinity) then a score (preferred node affinity, then least requested).
 */
import type { KubeObject } from "./resources.ts";
import { matchExpression, type SelectorRequirement } from "./selectors.ts";
import { parseQuantity } from "./quantity.ts";

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
}

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

interface NodeSelectorTerm {
  matchExpressions?: SelectorRequirement[];
  matchFields?: SelectorRequirement[];
}

interface PodSpec {
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  containers?: { resources?: { requests?: Record<string, string> } }[];
  initContainers?: { resources?: { requests?: Record<string, string> } }[];
  affinity?: {
    nodeAffinity?: {
      requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] };
      preferredDuringSchedulingIgnoredDuringExecution?: { weight: number; preference: NodeSelectorTerm }[];
    };
  };
}

export interface Requests {
  cpu: number;
  memory: number;
  pods: number;
}

/** What the scheduler knows of a node: its object and what bound pods already request (grows as a pass binds). */
export interface NodeState {
  readonly node: KubeObject;
  requested: Requests;
}

export type Placement = { readonly node: string } | { readonly reasons: string[] };

export function podRequests(pod: KubeObject): Requests {
  const spec = pod.spec as PodSpec;
  const sum = { cpu: 0, memory: 0, pods: 1 };
  for (const c of spec.containers ?? []) {
    sum.cpu += parseQuantity(c.resources?.requests?.cpu);
    sum.memory += parseQuantity(c.resources?.requests?.memory);
  }
  for (const c of spec.initContainers ?? []) {
    sum.cpu = Math.max(sum.cpu, parseQuantity(c.resources?.requests?.cpu));
    sum.memory = Math.max(sum.memory, parseQuantity(c.resources?.requests?.memory));
  }
  return sum;
}

export function allocatable(node: KubeObject): Requests {
  const a = ((node.status as { allocatable?: Record<string, string> })?.allocatable ?? {}) as Record<
    string,
    string
  >;
  return { cpu: parseQuantity(a.cpu), memory: parseQuantity(a.memory), pods: parseQuantity(a.pods ?? "110") };
}

export function tolerates(tolerations: readonly Toleration[], taint: Taint): boolean {
  return tolerations.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.operator === "Exists") return !t.key || t.key === taint.key;
    return t.key === taint.key && (t.value ?? "") === (taint.value ?? "");
  });
}

export function termMatches(term: NodeSelectorTerm, node: KubeObject): boolean {
  const labels = node.metadata.labels ?? {};
  const fields = { "metadata.name": node.metadata.name ?? "" };
  return (
    (term.matchExpressions ?? []).every((r) => matchExpression(r, labels)) &&
    (term.matchFields ?? []).every((r) => matchExpression(r, fields))
  );
}

function isReady(node: KubeObject): boolean {
  const conditions = (node.status as { conditions?: { type: string; status: string }[] })?.conditions ?? [];
  return conditions.some((c) => c.type === "Ready" && c.status === "True");
}

/** Why `node` cannot run `pod`, or undefined when it can. */
function unfit(
  pod: KubeObject,
  state: NodeState,
  volumeTerms: readonly NodeSelectorTerm[][],
): string | undefined {
  const { node } = state;
  const spec = pod.spec as PodSpec;
  if (!isReady(node)) return "node(s) were not ready";
  if ((node.spec as { unschedulable?: boolean })?.unschedulable) return "node(s) were unschedulable";
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) {
    if (labels[k] !== v) return "node(s) didn't match Pod's node affinity/selector";
  }
  const required =
    spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (required && !required.some((t) => termMatches(t, node)))
    return "node(s) didn't match Pod's node affinity/selector";
  const taints = ((node.spec as { taints?: Taint[] })?.taints ?? []).filter(
    (t) => t.effect !== "PreferNoSchedule",
  );
  const untolerated = taints.find((t) => !tolerates(spec.tolerations ?? [], t));
  if (untolerated) return `node(s) had untolerated taint {${untolerated.key}: ${untolerated.value ?? ""}}`;
  for (const terms of volumeTerms) {
    if (!terms.some((t) => termMatches(t, node))) return "node(s) had volume node affinity conflict";
  }
  const want = podRequests(pod);
  const has = allocatable(node);
  if (state.requested.pods + want.pods > has.pods) return "Too many pods";
  if (state.requested.cpu + want.cpu > has.cpu + 1e-9) return "Insufficient cpu";
  if (state.requested.memory + want.memory > has.memory) return "Insufficient memory";
  return undefined;
}

function score(pod: KubeObject, state: NodeState): number {
  const preferred =
    (pod.spec as PodSpec).affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  const affinity = preferred.reduce((s, p) => s + (termMatches(p.preference, state.node) ? p.weight : 0), 0);
  const has = allocatable(state.node);
  const want = podRequests(pod);
  const cpuFree = has.cpu > 0 ? 1 - (state.requested.cpu + want.cpu) / has.cpu : 0;
  const memFree = has.memory > 0 ? 1 - (state.requested.memory + want.memory) / has.memory : 0;
  // Affinity weights (1..100 each) dominate; free share breaks ties as LeastAllocated does.
  return affinity * 1000 + (cpuFree + memFree) * 50;
}

/**
 * Picks a node for `pod`. `volumeTerms` holds, per bound volume, the node selector terms of its
 * PersistentVolume (a local volume pins its consumers to its node).
 */
export function place(
  pod: KubeObject,
  nodes: readonly NodeState[],
  volumeTerms: readonly NodeSelectorTerm[][] = [],
): Placement {
  let best: { node: string; score: number } | undefined;
  const reasons = new Map<string, number>();
  for (const state of nodes) {
    const why = unfit(pod, state, volumeTerms);
    if (why) {
      reasons.set(why, (reasons.get(why) ?? 0) + 1);
      continue;
    }
    const s = score(pod, state);
    const name = state.node.metadata.name ?? "";
    if (!best || s > best.score || (s === best.score && name < best.node)) best = { node: name, score: s };
  }
  if (best) return { node: best.node };
  const parts = [...reasons].sort(([a], [b]) => a.localeCompare(b)).map(([why, n]) => `${n} ${why}`);
  return { reasons: [`0/${nodes.length} nodes are available: ${parts.join(", ")}.`] };
}
