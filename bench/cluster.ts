/**
 * `npm run bench:cluster [-- --pods 10000 --nodes 50 --concurrency 64]`: creates pods over HTTP
 * against the emulator, lets the scheduler bind them and the kubelets run a trivial command
 * (/bin/true), then deletes them. Prints each phase's throughput and the API server's request
 * latency percentiles, so operator benches can tell whether the emulator is their bottleneck.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { startCluster } from "../test/cluster/cluster.ts";

const { values } = parseArgs({
  options: {
    pods: { type: "string", default: "10000" },
    nodes: { type: "string", default: "50" },
    concurrency: { type: "string", default: "64" },
  },
});
const pods = Number(values.pods);
const concurrency = Number(values.concurrency);

const cluster = await startCluster({
  nodes: Array.from({ length: Number(values.nodes) }, (_, i) => ({
    name: `node-${i}`,
    cpu: "64",
    memory: "256Gi",
    pods: 1000,
  })),
  images: { trivial: { command: ["/bin/true"] } },
  server: { recordLatency: true, historyLimit: 50_000 },
});
const base = `${cluster.server.url}/api/v1/namespaces/default/pods`;

let succeeded = 0;
let failed = 0;
let scheduled = 0;
let allDone: () => void = () => {};
const done = new Promise<void>((r) => (allDone = r));
const seen = new Set<string>();
const unsubscribe = cluster.server.store.subscribe((e) => {
  if (e.key !== "/pods" || e.type === "DELETED") return;
  const uid = e.object.metadata.uid ?? "";
  const phase = (e.object.status as { phase?: string }).phase;
  const bound = (o: typeof e.previous) => Boolean((o?.spec as { nodeName?: string } | undefined)?.nodeName);
  if (bound(e.object) && !bound(e.previous)) scheduled++;
  if ((phase === "Succeeded" || phase === "Failed") && !seen.has(uid)) {
    seen.add(uid);
    if (phase === "Succeeded") succeeded++;
    else failed++;
    if (succeeded + failed === pods) allDone();
  }
});

async function inParallel(count: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

/** Round trips as clients see them, including time queued behind the emulator's own work. */
const clientLatencies: number[] = [];

async function request(method: string, url: string, body?: unknown): Promise<void> {
  const started = performance.now();
  const res = await fetch(url, {
    method,
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  await res.arrayBuffer();
  clientLatencies.push(performance.now() - started);
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status}`);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
const t0 = performance.now();
await inParallel(pods, (i) =>
  request("POST", base, {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: `bench-${i}` },
    spec: {
      restartPolicy: "Never",
      containers: [
        { name: "main", image: "trivial", resources: { requests: { cpu: "10m", memory: "16Mi" } } },
      ],
    },
  }),
);
const created = performance.now();
await done;
const finished = performance.now();
const createLatencies = [...cluster.server.latenciesMs].sort((a, b) => a - b);
const createRoundTrips = [...clientLatencies].sort((a, b) => a - b);
cluster.server.latenciesMs.length = 0;
clientLatencies.length = 0;
await inParallel(pods, (i) => request("DELETE", `${base}/bench-${i}`));
const deleted = performance.now();
const deleteLatencies = [...cluster.server.latenciesMs].sort((a, b) => a - b);
const deleteRoundTrips = [...clientLatencies].sort((a, b) => a - b);
unsubscribe();
const remaining = cluster.server.store.list("/pods").length;
await cluster.stop();

const rate = (n: number, ms: number) => `${((n / ms) * 1000).toFixed(0)}/s`;
const ms = (v: number) => `${v.toFixed(1)} ms`;
console.log(`pods ${pods} on ${values.nodes} nodes, ${concurrency} concurrent clients`);
console.log(`create     ${ms(created - t0)}  ${rate(pods, created - t0)}`);
console.log(
  `run        ${ms(finished - t0)} from first create to last pod terminal  ${rate(pods, finished - t0)} (succeeded ${succeeded}, failed ${failed}, bound ${scheduled})`,
);
console.log(`delete     ${ms(deleted - finished)}  ${rate(pods, deleted - finished)}  (left ${remaining})`);
const line = (what: string, sorted: number[]) =>
  console.log(
    `${what.padEnd(34)} p50 ${ms(percentile(sorted, 50))}  p99 ${ms(percentile(sorted, 99))}  max ${ms(sorted.at(-1) ?? 0)}`,
  );
line("server time, create+run", createLatencies);
line(`client round trip (${concurrency} in flight), create`, createRoundTrips);
line("server time, delete", deleteLatencies);
line(`client round trip (${concurrency} in flight), delete`, deleteRoundTrips);
console.log(
  `event loop delay (emulator and clients share it): p99 ${ms(loopDelay.percentile(99) / 1e6)}  max ${ms(loopDelay.max / 1e6)}`,
);
console.log(
  `scheduler passes ${cluster.scheduler.passes}; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
);
