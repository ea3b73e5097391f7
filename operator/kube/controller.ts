/**
 * The controller: reflectors for ImageChains and for the Pods and PVCs the operator made (selected by
 * label, each mapped to its owning chain's key), and a work queue keyed by chain that runs the reconciler.
 * Nodes are watched too: a node's change of readiness enqueues the chains whose status records a lane on it (a lane
 * whose node is gone is lost). Watch events only enqueue keys; no reconcile runs before every store has
 * its first list.
 */
import { KIND } from "./meta.ts";
import { chainsOnNode, readinessChanged, type NodeObject } from "./nodes.ts";
import { IMMEDIATELY, runQueue, WorkQueue, type RateLimit } from "./queue.ts";
import { createReconciler, type ChainObject, type ReconcilerOptions } from "./reconcile.ts";
import { startReflector } from "./reflector.ts";
import type { PodObject } from "./observed-pods.ts";
import { keyOf, type KubeObject } from "./store.ts";
import { KubeHttpError } from "./kube-http.ts";

export interface ControllerOptions extends Omit<ReconcilerOptions, "chains" | "pods" | "claims" | "nodes"> {
  /** Watch one namespace; all when absent. */
  readonly namespace?: string;
  /** Chains reconciled at once. Default 2. */
  readonly concurrency?: number;
  readonly rate?: RateLimit;
  /**
   * Every chain is reconciled at least this often (default 5 minutes; 0: never), whatever the watches
   * say: a missed event or a wait nothing else ends (a node's grace, S3 back after an outage) cannot
   * leave a chain unvisited for long.
   */
  readonly resyncMs?: number;
  readonly onError?: (key: string, error: unknown) => void;
}

/** The verb of a failed request: KubeHttpError's message starts with it. */
const verbOf = (e: KubeHttpError) => /^[A-Z]+/.exec(e.message)?.[0] ?? "unknown";

export interface Controller {
  /** Resolves once every store has its first list. */
  readonly synced: Promise<void>;
  stop(): Promise<void>;
}

const MANAGED = "app.kubernetes.io/managed-by=imagechain-operator";
export const RESYNC_MS = 300_000;

/** The key of the chain that owns an object (its controller owner reference), if any. */
function ownerKey(obj: KubeObject & { metadata?: { ownerReferences?: { kind?: string; name?: string }[] } }) {
  const owner = obj.metadata?.ownerReferences?.find((r) => r.kind === KIND);
  return owner?.name && obj.metadata?.namespace ? [`${obj.metadata.namespace}/${owner.name}`] : [];
}

export function startController(options: ControllerOptions): Controller {
  const { kc, namespace } = options;
  let ready = false;
  const waiting = new Set<string>();
  const queue = new WorkQueue(options.rate ? { rate: options.rate } : {});
  const enqueue = (keys: readonly string[]) => {
    for (const k of keys) {
      if (ready) runner.enqueue(k, IMMEDIATELY);
      else waiting.add(k);
    }
  };
  const ns = namespace ? { namespace } : {};
  const chains = startReflector<ChainObject>(
    kc,
    { group: "imagechain.io", version: "v1alpha1", plural: "imagechains", ...ns },
    { enqueue },
  );
  const pods = startReflector<PodObject>(
    kc,
    {
      group: "",
      version: "v1",
      plural: "pods",
      labelSelector: `${MANAGED},app.kubernetes.io/component=worker`,
      ...ns,
    },
    { enqueue, keys: ownerKey },
  );
  const claims = startReflector<KubeObject>(
    kc,
    {
      group: "",
      version: "v1",
      plural: "persistentvolumeclaims",
      labelSelector: `${MANAGED},app.kubernetes.io/component=scratch`,
      ...ns,
    },
    { enqueue, keys: ownerKey },
  );
  const nodes = startReflector<NodeObject>(
    kc,
    { group: "", version: "v1", plural: "nodes" },
    { enqueue, keys: (node) => chainsOnNode(keyOf(node), chains.store), relevant: readinessChanged },
  );
  const reconcile = createReconciler({
    ...options,
    chains: chains.store,
    pods: pods.store,
    claims: claims.store,
    nodes: nodes.store,
  });
  const { metrics } = options;
  metrics?.watchQueue(() => queue.queued().length);
  const runner = runQueue({
    queue,
    concurrency: options.concurrency ?? 2,
    reconcile: !metrics
      ? reconcile
      : async (key) => {
          const start = performance.now();
          try {
            return await reconcile(key);
          } catch (e) {
            if (e instanceof KubeHttpError) metrics.apiError(verbOf(e), e.code);
            throw e;
          } finally {
            metrics.reconciled((performance.now() - start) / 1000);
          }
        },
    ...(options.onError ? { onError: options.onError } : {}),
  });
  const synced = Promise.all([chains.synced, pods.synced, claims.synced, nodes.synced]).then(() => {
    ready = true;
    for (const k of waiting) runner.enqueue(k, IMMEDIATELY);
    waiting.clear();
  });
  const resyncMs = options.resyncMs ?? RESYNC_MS;
  const resync =
    resyncMs > 0 ? setInterval(() => enqueue(chains.store.list().map(keyOf)), resyncMs).unref() : undefined;
  return {
    synced,
    async stop() {
      clearInterval(resync);
      await runner.stop();
      await Promise.all([chains.stop(), pods.stop(), claims.stop(), nodes.stop()]);
    },
  };
}
