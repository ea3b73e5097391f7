/** The scheduler shell: binds pending pods using `place`, provisioning local volumes on the chosen node. */
import type { Api } from "./api.ts";
import { now } from "./clock.ts";
import { bindPod } from "./binding.ts";
import { recordEvent } from "./events.ts";
import { equalJson } from "./json.ts";
import type { KubeObject, ResourceType } from "./resources.ts";
import { place, podRequests, type NodeState, type Requests } from "./scheduling.ts";
import type { LocalStorage } from "./storage.ts";

interface Volume {
  persistentVolumeClaim?: { claimName: string };
}

const SOURCE = { component: "default-scheduler" };
const WATCHED = new Set(["/pods", "/nodes", "/persistentvolumeclaims", "/persistentvolumes"]);

function isTerminal(pod: KubeObject): boolean {
  const phase = (pod.status as { phase?: string })?.phase;
  return phase === "Succeeded" || phase === "Failed";
}

export class Scheduler {
  readonly #api: Api;
  readonly #storage: LocalStorage;
  readonly #pods: ResourceType;
  readonly #unsubscribe: () => void;
  #scheduled: NodeJS.Immediate | undefined;
  passes = 0;

  constructor(api: Api, storage: LocalStorage) {
    this.#api = api;
    this.#storage = storage;
    const pods = api.registry.get("", "v1", "pods");
    if (!pods) throw new Error("pods are not registered");
    this.#pods = pods;
    this.#unsubscribe = api.store.subscribe((e) => {
      if (WATCHED.has(e.key)) this.#kick();
    });
  }

  stop(): void {
    this.#unsubscribe();
    if (this.#scheduled) clearImmediate(this.#scheduled);
  }

  #kick(): void {
    this.#scheduled ??= setImmediate(() => {
      this.#scheduled = undefined;
      this.#pass();
    });
  }

  #pass(): void {
    const all = this.#api.store.list("/pods");
    const pending = all.filter((p) => {
      const spec = p.spec as { nodeName?: string; schedulerName?: string };
      return (
        !spec.nodeName &&
        !p.metadata.deletionTimestamp &&
        (spec.schedulerName ?? "default-scheduler") === "default-scheduler"
      );
    });
    if (pending.length === 0) return;
    this.passes++;
    const requested = new Map<string, Requests>();
    for (const p of all) {
      const node = (p.spec as { nodeName?: string }).nodeName;
      if (!node || isTerminal(p)) continue;
      const r = requested.get(node) ?? { cpu: 0, memory: 0, pods: 0 };
      const add = podRequests(p);
      requested.set(node, { cpu: r.cpu + add.cpu, memory: r.memory + add.memory, pods: r.pods + add.pods });
    }
    const nodes: NodeState[] = this.#api.store
      .list("/nodes")
      .filter((n) => !n.metadata.deletionTimestamp)
      .map((node) => ({
        node,
        requested: requested.get(node.metadata.name ?? "") ?? { cpu: 0, memory: 0, pods: 0 },
      }));
    const priority = (p: KubeObject) => Number((p.spec as { priority?: number }).priority ?? 0);
    pending.sort(
      (a, b) =>
        priority(b) - priority(a) ||
        String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)),
    );
    for (const pod of pending) this.#scheduleOne(pod, nodes);
  }

  #scheduleOne(pod: KubeObject, nodes: NodeState[]): void {
    const ns = pod.metadata.namespace ?? "";
    if (((pod.spec as { schedulingGates?: unknown[] }).schedulingGates ?? []).length > 0) {
      return this.#unschedulable(
        pod,
        "Scheduling is blocked due to non-empty scheduling gates",
        "SchedulingGated",
      );
    }
    const volumeTerms = [];
    const unbound: KubeObject[] = [];
    for (const v of (pod.spec as { volumes?: Volume[] }).volumes ?? []) {
      const claimName = v.persistentVolumeClaim?.claimName;
      if (!claimName) continue;
      const claim = this.#api.store.get("/persistentvolumeclaims", ns, claimName);
      if (!claim) return this.#unschedulable(pod, `persistentvolumeclaim "${claimName}" not found`);
      if (claim.metadata.deletionTimestamp)
        return this.#unschedulable(pod, `persistentvolumeclaim "${claimName}" is being deleted`);
      const volumeName = (claim.spec as { volumeName?: string }).volumeName;
      if (!volumeName) {
        if (!this.#storage.provisions(claim))
          return this.#unschedulable(pod, "pod has unbound immediate PersistentVolumeClaims");
        unbound.push(claim);
        continue;
      }
      const pv = this.#api.store.get("/persistentvolumes", undefined, volumeName);
      if (!pv) return this.#unschedulable(pod, `persistentvolume "${volumeName}" not found`);
      const terms = (pv.spec as { nodeAffinity?: { required?: { nodeSelectorTerms?: [] } } }).nodeAffinity
        ?.required?.nodeSelectorTerms;
      if (terms) volumeTerms.push(terms);
    }
    const placement = place(pod, nodes, volumeTerms);
    if ("reasons" in placement) return this.#unschedulable(pod, placement.reasons.join(" "));
    for (const claim of unbound) this.#storage.provision(claim, placement.node);
    const bound = bindPod(this.#api, ns, pod.metadata.name ?? "", placement.node);
    recordEvent(
      this.#api,
      bound,
      "Normal",
      "Scheduled",
      `Successfully assigned ${ns}/${pod.metadata.name} to ${placement.node}`,
      SOURCE,
    );
    const state = nodes.find((n) => n.node.metadata.name === placement.node);
    if (state) {
      const add = podRequests(pod);
      const r = state.requested;
      Object.assign(state, {
        requested: { cpu: r.cpu + add.cpu, memory: r.memory + add.memory, pods: r.pods + add.pods },
      });
    }
  }

  #unschedulable(pod: KubeObject, message: string, reason = "Unschedulable"): void {
    const status = (pod.status ?? {}) as {
      conditions?: { type: string; reason?: string; message?: string }[];
    };
    const conditions = status.conditions ?? [];
    const old = conditions.find((c) => c.type === "PodScheduled");
    const condition = {
      type: "PodScheduled",
      status: "False",
      lastProbeTime: null,
      lastTransitionTime: now(),
      reason,
      message,
    };
    if (
      old &&
      equalJson({ ...old, lastTransitionTime: undefined }, { ...condition, lastTransitionTime: undefined })
    )
      return;
    const next = [...conditions.filter((c) => c.type !== "PodScheduled"), condition];
    if (reason === "Unschedulable")
      recordEvent(this.#api, pod, "Warning", "FailedScheduling", message, SOURCE);
    this.#api.update(
      this.#pods,
      pod.metadata.namespace,
      pod.metadata.name ?? "",
      { ...pod, status: { ...status, conditions: next } },
      { subresource: "status" },
    );
  }
}
