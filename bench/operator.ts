/**
 * `npm run bench:operator [-- --size 7808 --nodes 20 --tasks-per-pod 64]`: the operator alone at scale. A
 * one-step chain over a blank source in 64² tiles (about 20,000 tasks with the pyramid) on 20 emulated
 * nodes, whose worker pods only sleep (`--pod-seconds`, so that completions arrive one by one as in a
 * real run) and "succeed": what is measured is the operator's own work — API writes per tile, reconcile durations, peak RSS of this process (operator,
 * emulator and S3 server together; the emulator's share is printed by `npm run bench:cluster`).
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { createMetrics } from "../operator/kube/metrics.ts";
import { createCogWriter } from "../worker/io/tiff/cog-writer.ts";
import type { Block } from "../worker/io/raster.ts";
import type { ByteSink } from "../worker/io/sink/byte-sink.ts";
import { startWorld } from "../test/helpers/operator-world.ts";
import { stringify } from "yaml";

const { values } = parseArgs({
  options: {
    size: { type: "string", default: "7808" },
    nodes: { type: "string", default: "20" },
    "tasks-per-pod": { type: "string", default: "64" },
    "pod-seconds": { type: "string", default: "1" },
  },
});
const size = Number(values.size);
const nodes = Number(values.nodes);

/** A blank single-band source: only its header matters, the workers never read it. */
async function blankSource(): Promise<Buffer> {
  const tile = 512;
  const writer = await createCogWriter({
    width: size,
    height: size,
    bandCount: 1,
    dataType: "uint8",
    tileSize: tile,
    compression: "deflate",
    crs: { epsg: 32631, wkt: null },
    geoTransform: [300000, 10, 0, 4900020, 0, -10],
    nodata: null,
    overviews: "none",
  });
  const blank: Block = { width: tile, height: tile, dataType: "uint8", bands: [new Uint8Array(tile * tile)] };
  const n = Math.ceil(size / tile);
  for (let ty = 0; ty < n; ty++) {
    for (let tx = 0; tx < n; tx++) {
      const w = Math.min(tile, size - tx * tile);
      const h = Math.min(tile, size - ty * tile);
      const block =
        w === tile && h === tile ? blank : { ...blank, width: w, height: h, bands: [new Uint8Array(w * h)] };
      await writer.addTile(tx, ty, block);
    }
  }
  const parts: Buffer[] = [];
  const sink: ByteSink = {
    write: async (b) => void parts.push(Buffer.from(b)),
    close: async () => {},
    abort: async () => {},
  };
  await writer.finish(sink);
  return Buffer.concat(parts);
}

const writes = new Map<string, number>();
let operatorWrites = 0;
const world = await startWorld({
  nodes,
  width: 64,
  height: 64,
  server: {
    onRequest(method, path, status) {
      if (method === "GET" || status >= 400) return;
      operatorWrites++;
      const route = path.split("?")[0]!.replace(/^\/apis?\/([^/]+\/)?v1[^/]*\//, "");
      // A collection's POST keeps its resource; other verbs lose the object's name.
      const what = `${method} ${method === "POST" ? route : route.replace(/\/[^/]+$/, "/…")}`;
      writes.set(what, (writes.get(what) ?? 0) + 1);
    },
  },
});
try {
  await world.s3.client.send(
    new PutObjectCommand({ Bucket: "src", Key: "blank.tif", Body: await blankSource() }),
  );
  const base = world.chainDoc("bench", "s3://out/bench.tif", {
    tileSize: 64,
    tasksPerPod: Number(values["tasks-per-pod"]),
    execution: { parallelism: nodes },
  });
  const doc = {
    ...base,
    spec: {
      ...base.spec,
      sources: { blank: { uri: "s3://src/blank.tif" } },
      steps: [
        { name: "twice", op: "bandmath", inputs: { im: "blank" }, params: { expression: "im.b1 * 2" } },
      ],
      outputs: [{ step: "twice", uri: "s3://out/bench.tif" }],
    },
  };
  const durations: number[] = [];
  const metrics = { ...createMetrics(), reconciled: (s: number) => void durations.push(s * 1000) };
  const baseRss = process.memoryUsage().rss;
  let peakRss = baseRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  await world.kubectl(["apply", "-f", "-"], stringify(doc));
  // From here on every write is the operator's.
  operatorWrites = 0;
  writes.clear();
  const started = performance.now();
  const operator = world.startOperator({
    command: ["/bin/sh", "-c", `sleep ${Number(values["pod-seconds"])}`, "worker"],
    metrics,
  });
  type Chain = { status?: { phase?: string; tiles?: { total?: number } } };
  let final: Chain = {};
  while (final.status?.phase !== "Succeeded" && final.status?.phase !== "Failed") {
    await new Promise((r) => setTimeout(r, 2000));
    final = JSON.parse(await world.kubectl(["get", "imagechain", "bench", "-o", "json"])) as Chain;
  }
  const wall = performance.now() - started;
  await operator.stop();
  clearInterval(sampler);
  const sorted = durations.sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
  const tasks = final.status?.tiles?.total ?? 0;
  console.log(
    `chain: ${size}² in 64² tiles → ${tasks} tasks, ${nodes} lanes on ${nodes} nodes, ${values["tasks-per-pod"]} tasks per pod of ${values["pod-seconds"]} s: ${final.status?.phase} in ${(wall / 1000).toFixed(1)} s`,
  );
  console.log(
    `API writes: ${operatorWrites} → ${(operatorWrites / tasks).toFixed(4)} per task (target ≤ 0.05)`,
  );
  for (const [what, n] of [...writes].sort((a, b) => b[1] - a[1]))
    console.log(`  ${String(n).padStart(6)} ${what}`);
  console.log(
    `reconciles: ${sorted.length}, p50 ${pct(50).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms, max ${(sorted.at(-1) ?? 0).toFixed(1)} ms`,
  );
  console.log(
    `peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB in this process (operator, emulator and s3rver), ${((peakRss - baseRss) / 2 ** 20).toFixed(0)} MiB above what it was before the operator started; event loop p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms`,
  );
} finally {
  await world.stop();
}
