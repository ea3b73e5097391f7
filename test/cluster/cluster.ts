/**
 * A simulated cluster: the API server plus N nodes, a scheduler, a kubelet per node that runs
 * containers as local processes, a local-path provisioner, and the fault-injection API.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Faults } from "./faults.ts";
import { Kubelet } from "./kubelet.ts";
import { Launcher } from "./launcher.ts";
import { collectOrphanedPods, registerNode, renewLease, type NodeSpec } from "./nodes.ts";
import type { Images } from "./pod-setup.ts";
import type { KubeObject } from "./resources.ts";
import { Scheduler } from "./scheduler.ts";
import { startApiServer, type ApiServer, type ApiServerOptions } from "./server.ts";
import { LocalStorage } from "./storage.ts";

export interface ClusterOptions {
  /** A count (nodes node-0…, spread over zones zone-a/b/c) or explicit nodes. */
  readonly nodes?: number | readonly NodeSpec[];
  /** Image name (with or without tag) → the local command that plays it. */
  readonly images?: Images;
  /** Where node directories live; a fresh temporary directory when absent (removed on stop). */
  readonly root?: string;
  readonly server?: ApiServerOptions;
  readonly leaseRenewMs?: number;
}

export interface Cluster {
  readonly server: ApiServer;
  readonly storage: LocalStorage;
  readonly scheduler: Scheduler;
  readonly kubelets: ReadonlyMap<string, Kubelet>;
  readonly faults: Faults;
  readonly root: string;
  addNode(spec: NodeSpec): void;
  stop(): Promise<void>;
}

const ZONES = ["zone-a", "zone-b", "zone-c"];

export function defaultNodes(count: number): NodeSpec[] {
  return Array.from({ length: count }, (_, i) => ({ name: `node-${i}`, zone: ZONES[i % ZONES.length] }));
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const server = await startApiServer(options.server);
  const { api } = server;
  const ownRoot = options.root === undefined;
  const root = options.root ?? (await mkdtemp(join(tmpdir(), "imagechain-cluster-")));
  const storage = new LocalStorage(api, root);
  const scheduler = new Scheduler(api, storage);
  const kubelets = new Map<string, Kubelet>();
  const images = options.images ?? {};
  const launcher = new Launcher();

  // Pod states are handed to kubelets after the write that made them, coalesced per pod.
  const pending = new Map<string, { node: string; pod: KubeObject | undefined }>();
  let flush: NodeJS.Immediate | undefined;
  const unsubscribe = api.store.subscribe((e) => {
    if (e.key === "/nodes" && e.type === "DELETED") {
      const name = e.object.metadata.name ?? "";
      setImmediate(() => collectOrphanedPods(api, name));
      return;
    }
    if (e.key !== "/pods") return;
    const node = (e.object.spec as { nodeName?: string }).nodeName;
    if (!node) return;
    pending.set(e.object.metadata.uid ?? "", { node, pod: e.type === "DELETED" ? undefined : e.object });
    flush ??= setImmediate(() => {
      flush = undefined;
      const batch = [...pending];
      pending.clear();
      for (const [uid, { node: n, pod }] of batch) kubelets.get(n)?.sync(uid, pod);
    });
  });

  let nodeCount = 0;
  const addNode = (spec: NodeSpec) => {
    const index = nodeCount++;
    const hostIp = `10.0.${index >> 8}.${(index & 255) + 1}`;
    registerNode(api, spec, hostIp);
    kubelets.set(
      spec.name,
      new Kubelet({
        api,
        node: spec.name,
        nodeDir: storage.nodeDir(spec.name),
        hostIp,
        podIp: (n) => `10.${244 + (index >> 8)}.${index & 255}.${n % 250}`,
        images,
        launcher,
      }),
    );
  };
  const specs =
    typeof options.nodes === "number" || options.nodes === undefined
      ? defaultNodes(options.nodes ?? 3)
      : options.nodes;
  for (const spec of specs) addNode(spec);

  const faults = new Faults({ server, storage, kubelets });
  server.logSource = (pod, container) => {
    const node = (pod.spec as { nodeName?: string }).nodeName;
    if (!node) return undefined;
    const file = join(storage.nodeDir(node), "pods", pod.metadata.uid ?? "", "logs", `${container}.log`);
    return existsSync(file) ? readFileSync(file, "utf8") : undefined;
  };
  const renew = setInterval(() => {
    for (const name of kubelets.keys()) if (!faults.isPartitioned(name)) renewLease(api, name);
  }, options.leaseRenewMs ?? 10_000);
  renew.unref();
  return {
    server,
    storage,
    scheduler,
    kubelets,
    faults,
    root,
    addNode,
    async stop() {
      clearInterval(renew);
      unsubscribe();
      if (flush) clearImmediate(flush);
      scheduler.stop();
      storage.stop();
      for (const kubelet of kubelets.values()) kubelet.stop();
      await launcher.stop();
      await server.stop();
      if (ownRoot) await rm(root, { recursive: true, force: true });
    },
  };
}
