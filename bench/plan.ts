/**
 * `npm run bench:plan [-- --side 1000 --lanes 256]`: plan a side² -tile (default 1,000,000) × 5-step chain
 * (NDVI, gaussian, scaling, Sobel, percentile stretch) from the spec alone. Prints the planning wall time, the
 * process's peak RSS, one schedule() call over the whole DAG, and the bytes of the status (progress bitmaps
 * and lanes) half-way through the reference execution. Targets: ≤ 3 s, ≤ 1 GiB, status ≤ 64 KiB.
 */
import { parseArgs } from "node:util";
import { plan } from "../operator/plan/plan.ts";
import { progressStatus } from "../operator/schedule/progress.ts";
import { schedule } from "../operator/schedule/schedule.ts";
import { DONE, initialState } from "../operator/schedule/types.ts";
import { validateSpec } from "../operator/spec/validate.ts";
import { fiveStepChain } from "../scripts/lib/chains.ts";

const { values } = parseArgs({
  options: { side: { type: "string", default: "1000" }, lanes: { type: "string", default: "256" } },
});
const side = Number(values.side);
const lanes = Number(values.lanes);
const TILE = 512;

const spec = fiveStepChain(lanes, TILE);
const scene = {
  width: side * TILE,
  height: side * TILE,
  bands: 4,
  dataType: "uint16" as const,
  geoTransform: [300000, 10, 0, 5000000, 0, -10] as const,
  crs: { epsg: 32631, wkt: null },
  nodata: 0,
};

const started = performance.now();
const checked = validateSpec(spec);
if (!checked.ok) throw new Error(JSON.stringify(checked.issues));
const planned = plan(checked.value, { scene });
if (!planned.ok) throw new Error(JSON.stringify(planned.issues));
const seconds = (performance.now() - started) / 1000;
const p = planned.value;
const tasks = p.dag.depStart.length - 1;

const t0 = performance.now();
const actions = schedule(p, initialState(tasks, lanes), Date.now());
const scheduleMs = performance.now() - t0;

// Half-way through the reference execution, with lanes bound to nodes: what status would hold.
const state = new Uint8Array(tasks);
for (let i = 0; i < tasks / 2; i++) state[p.order[i]!] = DONE;
const status = {
  observedGeneration: 1,
  phase: "Running",
  ...progressStatus(p.stages, p.dag.stageStart, state),
  lanes: Array.from({ length: lanes }, (_, index) => ({
    index,
    node: `ip-10-0-${index >> 8}-${index & 255}.eu-west-3.compute.internal`,
    volume: `bench-9f3c2a1b-l${index}`,
    phase: "Bound",
  })),
};
const statusBytes = Buffer.byteLength(JSON.stringify(status));
const bitmapBytes = status.stages.reduce((n, s) => n + s.done.length, 0);
const rssMiB = process.resourceUsage().maxRSS / 1024;

const ok = (good: boolean) => (good ? "ok" : "OVER TARGET");
console.log(
  `chain: ${side}x${side} = ${side * side} tiles per full-resolution stage, 5 steps, ${lanes} lanes`,
);
console.log(
  `plan: ${p.stages.length} stages, ${tasks} tasks, ${p.dag.deps.length} edges, ${p.lanes.crossLaneTiles} cross-lane tiles, peak scratch ${p.peakScratchTiles} tiles/lane`,
);
console.log(`wall time (validate + plan)   ${seconds.toFixed(2)} s   target ≤ 3 s      ${ok(seconds <= 3)}`);
console.log(
  `peak RSS                      ${rssMiB.toFixed(0)} MiB   target ≤ 1024 MiB ${ok(rssMiB <= 1024)}`,
);
console.log(
  `status at 50 %                ${statusBytes} B (bitmaps ${bitmapBytes} B)   target ≤ 65536 B ${ok(statusBytes <= 65536)}`,
);
console.log(
  `one schedule() call           ${scheduleMs.toFixed(0)} ms (${actions.filter((a) => a.type === "StartBatch").length} batches started)`,
);
