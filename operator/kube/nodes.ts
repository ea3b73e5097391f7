/**
 * Node loss, pure: which lanes lost their node (the node their status records is gone, or NotReady for
 * too long), which pods are of a lost volume or pinned to a gone node, and how their batches end. A lane's loss is recorded by
 * the generation of its volume going up in the status (and its node forgotten), so a restarted operator
 * neither repeats a loss nor forgets one: pods of an older generation than the status records are from
 * before the loss the status already holds, and are not replayed.
 */
import { unpackNodes } from "./lane-encoding.ts";
import { LABEL } from "./meta.ts";
import type { PodBatch, PodObject } from "./observed-pods.ts";
import type { LaneRecord } from "./status.ts";
import type { ChainObject } from "./reconcile.ts";
import { keyOf, type KubeObject, type Store } from "./store.ts";

/** The fields of a worker pod node loss reads beyond those of PodObject. */
export interface PinnedPod extends PodObject {
  readonly spec?: PodObject["spec"] & {
    readonly affinity?: {
      readonly nodeAffinity?: {
        readonly requiredDuringSchedulingIgnoredDuringExecution?: {
          readonly nodeSelectorTerms?: readonly {
            readonly matchExpressions?: readonly {
              readonly key?: string;
              readonly operator?: string;
              readonly values?: readonly string[];
            }[];
          }[];
        };
      };
    };
    readonly volumes?: readonly {
      readonly name?: string;
      readonly persistentVolumeClaim?: { readonly claimName?: string };
      readonly hostPath?: { readonly path?: string };
    }[];
  };
  readonly status?: PodObject["status"] & {
    readonly conditions?: readonly { readonly type?: string; readonly reason?: string }[];
  };
}

/** The node a pod runs on, else the node its required affinity pins it to, else null. */
export function podNode(pod: Pick<PinnedPod, "spec">): string | null {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  const match = terms?.nodeSelectorTerms?.[0]?.matchExpressions?.find(
    (m) => m.key === "kubernetes.io/hostname" && m.operator === "In" && m.values?.length === 1,
  );
  return match?.values?.[0] ?? null;
}

/** The generation of the lane volume a pod mounts (`…-v<gen>`), or null when its scratch is its own. */
export function podVolume(pod: Pick<PinnedPod, "spec">): number | null {
  const scratch = pod.spec?.volumes?.find((v) => v.name === "scratch");
  const name = scratch?.persistentVolumeClaim?.claimName ?? scratch?.hostPath?.path;
  const m = name ? /-v(\d+)$/.exec(name) : null;
  return m ? Number(m[1]) : null;
}

/** PodGC's mark on a pod whose node is gone (kube-controller-manager, and the emulator, set it). */
function collectedByPodGC(pod: PinnedPod): boolean {
  return (pod.status?.conditions ?? []).some(
    (c) => c.type === "DisruptionTarget" && c.reason === "DeletionByPodGC",
  );
}

export interface NodeLoss {
  /** Each lane's record: node forgotten and volume generation one up for the lanes lost now. */
  readonly records: readonly LaneRecord[];
  /** The lanes whose node is gone now, and that node: each lane takes one LaneLost. */
  readonly lost: readonly { readonly lane: number; readonly node: string }[];
  /** The batches to replay: none of a lost volume; those ended by a gone node end node-lost. */
  readonly batches: readonly PodBatch[];
  /** Pods to delete once the status is written: of a lost volume, or on or pinned to a gone node. */
  readonly doomed: readonly string[];
}

/**
 * What the nodes say about a chain's lanes and pods. `records` are the lanes as the status holds them,
 * `pods` the chain's pods with their batches, `exists` whether a node may still hold its lanes (there,
 * and not NotReady for too long: nodeVerdict), `at` the time a batch ended by a gone node ends. A lane whose node is not yet recorded takes the node of its first pod of
 * the current volume that has landed.
 */
export function nodeLoss(
  records: readonly LaneRecord[],
  pods: readonly { readonly pod: PinnedPod; readonly batch: PodBatch }[],
  exists: (node: string) => boolean,
  at: number,
): NodeLoss {
  const doomed: string[] = [];
  const current = pods.filter(({ pod, batch }) => {
    const volume = podVolume(pod);
    const stale = volume !== null && volume < (records[batch.lane]?.volume ?? 0);
    if (stale) doomed.push(batch.pod);
    return !stale;
  });
  const landed = records.map((r, lane) =>
    r.node !== null ? r : { ...r, node: current.find((c) => c.batch.lane === lane)?.batch.node ?? null },
  );
  const lost = landed.flatMap((r, lane) =>
    r.node !== null && !exists(r.node) ? [{ lane, node: r.node }] : [],
  );
  const isLost = (lane: number) => lost.some((l) => l.lane === lane);
  const batches = current.map(({ pod, batch }) => {
    const node = podNode(pod);
    // PodGC may fail a pod before the node's deletion reaches the node store.
    const podGC = collectedByPodGC(pod);
    const gone = (node !== null && !exists(node)) || isLost(batch.lane) || podGC;
    if (!gone) return batch;
    doomed.push(batch.pod);
    if (batch.end.kind === "succeeded") return batch;
    // An exit code of its own (permanent) or an eviction says more than the node's end; no exit code does not.
    if (batch.end.kind === "failed" && batch.end.reason !== "error" && !podGC) return batch;
    return { ...batch, end: { kind: "failed" as const, reason: "node-lost" as const, at } };
  });
  return {
    records: landed.map((r, lane) => (isLost(lane) ? { node: null, volume: r.volume + 1 } : r)),
    lost,
    batches,
    doomed,
  };
}

/**
 * How long a lane waits for a node that stopped being Ready before it counts as lost: 5 minutes, the
 * time Kubernetes itself gives pods on a not-ready or unreachable node (the default tolerationSeconds of
 * those taints). A partitioned node's pods may still run meanwhile; whatever they write is what a
 * recomputation would write (deterministic tiles, whole-object puts), so an early verdict costs work, not
 * correctness.
 */
export const NODE_LOST_AFTER_MS = 300_000;

/** The fields of a Node that say whether it is Ready. */
export interface NodeObject extends KubeObject {
  readonly status?: {
    readonly conditions?: readonly {
      readonly type?: string;
      readonly status?: string;
      readonly lastTransitionTime?: string;
    }[];
  };
}

/**
 * Whether a node may still hold its lanes at `now`: absent is lost; Ready (or no Ready condition yet) is
 * fine; NotReady or Unknown for `lostAfterMs` is lost, and before that `recheckInMs` says when to look again.
 */
export function nodeVerdict(
  node: NodeObject | undefined,
  now: number,
  lostAfterMs: number,
): { readonly lost: boolean; readonly recheckInMs?: number } {
  if (node === undefined) return { lost: true };
  const ready = node.status?.conditions?.find((c) => c.type === "Ready");
  if (!ready || ready.status === "True") return { lost: false };
  const since = Date.parse(ready.lastTransitionTime ?? "");
  const left = (Number.isNaN(since) ? now : since) + lostAfterMs - now;
  return left <= 0 ? { lost: true } : { lost: false, recheckInMs: left };
}

/**
 * Whether a change of a node can change a verdict (nodeVerdict): it came or went, or its Ready condition
 * changed. Status heartbeats (a kubelet rewrites its node's conditions' lastHeartbeatTime, images and
 * resources) cannot, and would otherwise enqueue every chain with a lane on the node, for each node.
 */
export function readinessChanged(before: NodeObject | undefined, after: NodeObject | undefined): boolean {
  if (before === undefined || after === undefined) return true;
  const ready = (n: NodeObject) => n.status?.conditions?.find((c) => c.type === "Ready");
  const [was, is] = [ready(before), ready(after)];
  return was?.status !== is?.status || was?.lastTransitionTime !== is?.lastTransitionTime;
}

/** A lane volume of an older generation than its lane's: its node was lost, nothing reads it again. */
export function isStaleClaim(
  claim: KubeObject & { readonly metadata?: { readonly labels?: Record<string, string> } },
  records: readonly LaneRecord[],
): boolean {
  const lane = Number(claim.metadata?.labels?.[LABEL.lane]);
  const m = /-v(\d+)$/.exec(claim.metadata?.name ?? "");
  return Number.isInteger(lane) && m !== null && Number(m[1]) < (records[lane]?.volume ?? 0);
}

/** The chains whose status records a lane on `node`: a change of the node may concern them. */
export function chainsOnNode(node: string, chains: Store<ChainObject>): string[] {
  return chains.list().flatMap((c) => {
    const lanes = c.status?.lanes;
    if (!lanes) return [];
    try {
      return unpackNodes(lanes.nodes, lanes.count).includes(node) ? [keyOf(c)] : [];
    } catch {
      return []; // a status that does not decode: its reconcile says so
    }
  });
}
