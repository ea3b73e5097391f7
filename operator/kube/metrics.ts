/**
 * The operator's Prometheus metrics, in a Registry of its own (a process may hold two operators, as the
 * tests do, and the default registry would mix them), and the HTTP server that answers /metrics,
 * /healthz and /readyz. The server runs whether or not this replica leads: a follower is healthy too.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { DELETED, DONE, PENDING, RUNNING } from "../schedule/types.ts";

export interface OperatorMetrics {
  readonly registry: Registry;
  /** The scheduler's state as a reconcile computed it and the size of the status it wrote. */
  observeChain(chain: string, tasks: Uint8Array, statusBytes: number): void;
  reconciled(seconds: number): void;
  podCreated(): void;
  apiError(verb: string, code: number): void;
  /** Where the queue depth is read at each scrape. */
  watchQueue(depth: () => number): void;
}

/** A task whose tile was deleted is done all the same: "done" counts both. */
const PHASE_OF: Record<number, string> = {
  [PENDING]: "pending",
  [RUNNING]: "running",
  [DONE]: "done",
  [DELETED]: "done",
};

export function createMetrics(): OperatorMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const tasks = new Gauge({
    name: "imagechain_tasks",
    help: "Tasks of a chain by phase, as the last reconcile computed them",
    labelNames: ["chain", "phase"],
    registers: [registry],
  });
  const statusBytes = new Gauge({
    name: "imagechain_status_bytes",
    help: "Bytes of the chain's status as JSON",
    labelNames: ["chain"],
    registers: [registry],
  });
  const duration = new Histogram({
    name: "imagechain_reconcile_duration_seconds",
    help: "Time of one reconcile of one chain, failed ones included",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const pods = new Counter({
    name: "imagechain_pods_created_total",
    help: "Worker pods the operator created",
    registers: [registry],
  });
  const errors = new Counter({
    name: "imagechain_api_errors_total",
    help: "Kubernetes API answers that failed a reconcile, by verb and HTTP code",
    labelNames: ["verb", "code"],
    registers: [registry],
  });
  let depth = () => 0;
  new Gauge({
    name: "imagechain_queue_depth",
    help: "Chains queued for a reconcile (not counting those being reconciled)",
    registers: [registry],
    collect() {
      this.set(depth());
    },
  });
  return {
    registry,
    observeChain(chain, states, bytes) {
      const counts: Record<string, number> = { pending: 0, running: 0, done: 0 };
      for (const s of states) counts[PHASE_OF[s]!]! += 1;
      for (const [phase, n] of Object.entries(counts)) tasks.set({ chain, phase }, n);
      statusBytes.set({ chain }, bytes);
    },
    reconciled: (seconds) => duration.observe(seconds),
    podCreated: () => pods.inc(),
    apiError: (verb, code) => errors.inc({ verb, code: String(code) }),
    watchQueue(read) {
      depth = read;
    },
  };
}

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves /metrics (Prometheus text), /healthz (the process answers) and /readyz (`ready()`: false only
 * while this replica leads but its caches are not filled yet) on `port` (0: an ephemeral one).
 */
export async function serveMetrics(
  metrics: OperatorMetrics,
  port: number,
  ready: () => boolean = () => true,
): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/healthz") {
      res.writeHead(200, { "Content-Type": "text/plain" }).end("ok\n");
    } else if (path === "/readyz") {
      const yes = ready();
      res.writeHead(yes ? 200 : 503, { "Content-Type": "text/plain" }).end(yes ? "ok\n" : "syncing\n");
    } else if (path === "/metrics") {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { "Content-Type": metrics.registry.contentType }).end(text),
        (e: unknown) => res.writeHead(500, { "Content-Type": "text/plain" }).end(`${String(e)}\n`),
      );
    } else {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
