/** Fault injection for tests: kill or evict pods, partition or delete nodes, break watches and requests. */
import { evict } from "./eviction.ts";
import type { Kubelet } from "./kubelet.ts";
import { markReachable, markUnreachable } from "./nodes.ts";
import type { FailureRule } from "./request-faults.ts";
import type { KubeObject } from "./resources.ts";
import type { ApiServer } from "./server.ts";
import type { LocalStorage } from "./storage.ts";

export interface FaultTargets {
  readonly server: ApiServer;
  readonly storage: LocalStorage;
  readonly kubelets: Map<string, Kubelet>;
}

export interface KillOptions {
  /** Exit code to report; 137 by default (SIGKILL). */
  readonly exitCode?: number;
  /** Report the kill as the OOM killer's (reason OOMKilled, exit code 137). */
  readonly oomKilled?: boolean;
  readonly container?: string;
}

export class Faults {
  readonly #t: FaultTargets;
  readonly #partitioned = new Set<string>();

  constructor(targets: FaultTargets) {
    this.#t = targets;
  }

  isPartitioned(node: string): boolean {
    return this.#partitioned.has(node);
  }

  #pod(namespace: string, name: string): KubeObject {
    const pods = this.#t.server.api.registry.get("", "v1", "pods");
    if (!pods) throw new Error("pods are not registered");
    return this.#t.server.api.get(pods, namespace, name);
  }

  /** Kills the process of a running pod's container; the kubelet reports the exit as given. */
  killPod(namespace: string, name: string, options: KillOptions = {}): void {
    const pod = this.#pod(namespace, name);
    const node = (pod.spec as { nodeName?: string }).nodeName ?? "";
    const exit = options.oomKilled
      ? { exitCode: 137, reason: "OOMKilled" }
      : { exitCode: options.exitCode ?? 137, reason: options.exitCode === 0 ? "Completed" : "Error" };
    const killed = this.#t.kubelets.get(node)?.kill(pod.metadata.uid ?? "", exit, options.container);
    if (!killed) throw new Error(`pod ${namespace}/${name} has no running process on node "${node}"`);
  }

  /** Evicts a pod through the Eviction API (DisruptionTarget condition, graceful deletion). */
  evictPod(namespace: string, name: string, gracePeriodSeconds?: number): void {
    evict(this.#t.server.api, namespace, name, { gracePeriodSeconds });
  }

  /**
   * A network partition: the node's processes keep running (and writing wherever they write) but
   * its kubelet is cut off, so the node turns NotReady, is tainted unreachable, and its pods not ready.
   */
  partitionNode(node: string): void {
    const kubelet = this.#t.kubelets.get(node);
    if (!kubelet) throw new Error(`no node "${node}"`);
    this.#partitioned.add(node);
    kubelet.partition();
    markUnreachable(this.#t.server.api, node);
  }

  /** Ends a partition: the node is Ready again and its kubelet catches up (deleted pods are killed, exits reported). */
  healNode(node: string): void {
    const kubelet = this.#t.kubelets.get(node);
    if (!kubelet || !this.#partitioned.delete(node)) throw new Error(`node "${node}" is not partitioned`);
    markReachable(this.#t.server.api, node);
    const bound = this.#t.server.store
      .list("/pods")
      .filter((p) => (p.spec as { nodeName?: string }).nodeName === node);
    kubelet.heal(bound);
  }

  /** The node is gone for good: its processes die, it is deleted, its disk (local volumes) lost; PodGC fails its pods. */
  deleteNode(node: string): void {
    if (!this.#partitioned.has(node)) this.partitionNode(node);
    this.#t.kubelets.get(node)?.stop();
    const nodes = this.#t.server.api.registry.get("", "v1", "nodes");
    if (!nodes) throw new Error("nodes are not registered");
    this.#t.server.api.delete(nodes, undefined, node);
    this.#t.kubelets.delete(node);
    this.#partitioned.delete(node);
    this.#t.storage.loseNode(node);
  }

  /** Ends every open watch stream (clients must reconnect from their last resourceVersion). */
  dropWatches(): void {
    this.#t.server.watches.dropAll();
  }

  /** Forgets the event history: a watch resuming from before now gets 410 Expired. */
  compactHistory(): void {
    this.#t.server.store.compact();
  }

  /** Fails a share of API requests with 409, 429 or 500 (undefined: stop failing). */
  failRequests(rule: FailureRule | undefined, random?: () => number): void {
    this.#t.server.faults.failure = rule;
    if (random) this.#t.server.faults.random = random;
  }

  setLatency(ms: number): void {
    this.#t.server.faults.latencyMs = ms;
  }
}
