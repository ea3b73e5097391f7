/**
 * `npm run simulate -- --nodes 1000 --tiles 1000000 --failure-rate 0.05 --seed 1`: a deterministic
 * discrete-event simulation of the scheduler on a cluster. The chain is examples/ndvi.yaml's (NDVI then a
 * gaussian, COG output) on a square scene of about `tiles` tiles; one lane per node.
 * Costs: pod start, per-task compute, reads of tiles made on another node; pods fail at random points
 * (errors, evictions, node losses that take the lane's volume with them). The scheduler is the real
 * one: schedule() decides, observe() records, a 1 s quantum batches the completions between calls.
 * Prints makespan ÷ lower bound, cross-node share of intermediate reads, peak scratch per node and pods
 * started per tile; then where node time went before the last tile (busy, or idle: waiting for a pod, for
 * a pod to start, for a lost node's replacement, or done while others still work) and the critical chain
 * back from the last tile: the answer to "what held up the end?".
 */
import { parseArgs } from "node:util";
import { plan as planChain, type Plan } from "../operator/plan/plan.ts";
import { schedule } from "../operator/schedule/schedule.ts";
import { observe } from "../operator/schedule/transitions.ts";
import {
  DONE,
  initialState,
  type ChainState,
  type FailureReason,
  type Stimulus,
} from "../operator/schedule/types.ts";
import { validateSpec } from "../operator/spec/validate.ts";
import type { Window } from "../worker/io/raster.ts";
import { footprintRegion } from "../worker/ops/footprint.ts";
import { readAcrossLanes } from "../worker/run/edges.ts";
import { mulberry32 } from "./lib/prng.ts";
import { NDVI_SMOOTH_STEPS } from "./lib/chains.ts";

const COST = {
  podStart: 8, // s, scheduling + image + process start
  nodeReplace: 30, // s before a lane whose node died can start a pod on a fresh node
  perStep: 0.4, // s of compute per fused step of a tile task
  overview: 0.1, // s per overview tile
  assemblePerTile: 0.0005, // s per tile streamed into the COG
  remoteRead: 0.01, // s of latency to fetch input made on another node (shared scratch), however small
  remoteTile: 0.04, // s more to transfer a whole tile of it: a halo's strip costs its share of that
  quantum: 1, // s: completions closer than this are reported together
};

const { values } = parseArgs({
  options: {
    nodes: { type: "string", default: "100" },
    tiles: { type: "string", default: "10000" },
    "failure-rate": { type: "string", default: "0.05" },
    seed: { type: "string", default: "1" },
    "tasks-per-pod": { type: "string", default: "64" },
  },
});
const nodes = Number(values.nodes);
const side = Math.max(1, Math.round(Math.sqrt(Number(values.tiles))));
const failureRate = Number(values["failure-rate"]);
const tasksPerPod = Number(values["tasks-per-pod"]);
const random = mulberry32(Number(values.seed));

function buildPlan(): Plan {
  const checked = validateSpec({
    sources: { scene: { uri: "s3://sim/scene.tif" } },
    steps: [...NDVI_SMOOTH_STEPS],
    outputs: [{ step: "smooth", uri: "s3://sim/ndvi.tif" }],
    tiling: { tileSize: 512 },
    execution: { parallelism: nodes, tasksPerPod, retries: { limit: 10, backoffSeconds: 10 } },
  });
  if (!checked.ok) throw new Error(JSON.stringify(checked.issues));
  const scene = { width: side * 512, height: side * 512, bands: 4, dataType: "uint16" as const };
  const planned = planChain(checked.value, {
    scene: {
      ...scene,
      geoTransform: [300000, 10, 0, 5000000, 0, -10],
      crs: { epsg: 32631, wkt: null },
      nodata: 0,
    },
  });
  if (!planned.ok) throw new Error(JSON.stringify(planned.issues));
  return planned.value;
}

const p = buildPlan();
const n = p.dag.depStart.length - 1;
const { depStart, deps, consumerStart, consumers, stageStart } = p.dag;
const { laneOf, local } = p.lanes;
/** The lane whose node last made each task's tile: its own, or a lane that took the task over. */
const madeOn = Uint16Array.from(laneOf);

// Per-task compute and the lower bound: max(critical path, total work / capacity), plus one pod start.
const cost = new Float64Array(n);
const assembling = new Uint8Array(n);
p.stages.forEach((s, si) => {
  for (let t = stageStart[si]!; t < stageStart[si + 1]!; t++) {
    if (s.kind === "assemble") assembling[t] = 1;
    cost[t] =
      s.kind === "overview"
        ? COST.overview
        : s.kind === "assemble"
          ? (depStart[t + 1]! - depStart[t]!) * COST.assemblePerTile
          : COST.perStep * Math.max(1, s.steps.length);
  }
});
const longest = new Float64Array(n);
let totalWork = 0;
for (let t = 0; t < n; t++) {
  let before = 0;
  for (let e = depStart[t]!; e < depStart[t + 1]!; e++) before = Math.max(before, longest[deps[e]!]!);
  longest[t] = before + cost[t]!;
  totalWork += cost[t]!;
}
// The assembly reads every tile, so it starts only after all other work: its time adds to the rest's.
const assembly = cost.reduce((sum, c, t) => sum + (assembling[t] ? c : 0), 0);
const criticalPath = longest.reduce((a, b) => Math.max(a, b), 0);
const capacityBound = (totalWork - assembly) / nodes + assembly;
const bound = COST.podStart + Math.max(criticalPath, capacityBound);

interface Pod {
  readonly batch: string;
  readonly lane: number;
  readonly attempt: number;
  readonly tasks: readonly number[];
  readonly times: Float64Array; // completion time of each task that completes before the pod ends
  readonly start: number; // when its node's compute takes it up
  readonly end: number;
  readonly fate: FailureReason | null;
  reported: number;
}
/** A pod's stay on its node's CPU, for the profile: created, computing from `start` to `end`. */
interface Span {
  readonly lane: number;
  readonly batch: string;
  readonly attempt: number;
  readonly size: number;
  readonly created: number;
  readonly start: number;
  end: number; // cut short when the node is lost
}
const spans = new Map<string, Span>(); // by batch id and attempt
const replacing: { lane: number; from: number; to: number }[] = [];
let remoteSeconds = 0;
const doneAt = new Float64Array(n);
const doneBy: (Span | undefined)[] = new Array<Span | undefined>(n);
/**
 * Pods at once, per node on average (parallelism = SLOTS x nodes): the next batch's pod is scheduled and
 * started while the current one computes, so pod start latency overlaps work; compute is serial on a
 * node, one task at a time, in the order the pods came.
 */
const SLOTS = 2;
const pods = new Map<string, Pod>(); // by batch id
const podsOn = new Int8Array(nodes);
const cpuFreeAt = new Float64Array(nodes); // when a node's compute is next free
const wakes: number[] = [];
const held = new Int32Array(nodes);
let peakHeld = 0;
let podCount = 0;
let readBytes = 0;
let remoteBytes = 0;
let state: ChainState = initialState(n, nodes);
let now = 0;
let focus = new Set(Array.from({ length: nodes }, (_, i) => i));

function startPod(batch: string, lane: number, attempt: number, tasks: readonly number[]): void {
  const fails = random() < failureRate;
  const finished = fails ? Math.floor(random() * tasks.length) : tasks.length;
  const roll = random();
  const fate: FailureReason | null = !fails
    ? null
    : roll < 0.6
      ? "error"
      : roll < 0.85
        ? "evicted"
        : "node-lost";
  for (const t of tasks) madeOn[t] = lane;
  const start = Math.max(now + COST.podStart, cpuFreeAt[lane]!);
  let time = start;
  const times = new Float64Array(finished);
  for (let i = 0; i < finished; i++) {
    const t = tasks[i]!;
    const reads = assembling[t] ? 0 : remoteReadSeconds(t, lane);
    remoteSeconds += reads;
    time += cost[t]! + reads;
    times[i] = time;
  }
  // A failing pod dies part-way through its next task.
  const end = fails ? time + random() * cost[tasks[finished] ?? tasks[0]!]! : time;
  const span = { lane, batch, attempt, size: tasks.length, created: now, start, end };
  spans.set(`${batch}/${attempt}`, span);
  cpuFreeAt[lane] = end;
  pods.set(batch, { batch, lane, attempt, tasks, times, start, end, fate, reported: 0 });
  podsOn[lane]!++;
  podCount++;
}

const stageOf = new Uint16Array(n);
p.stages.forEach((_, si) => stageOf.fill(si, stageStart[si]!, stageStart[si + 1]!));

/** Pixel rectangle of a task's tile in its stage's grid. */
function tileRect(t: number): Window {
  const si = stageOf[t]!;
  const s = p.stages[si]!;
  const tile = p.dag.orders[si]!.tileOf[t - stageStart[si]!]!;
  const x = (tile % s.cols) * 512;
  const y = Math.floor(tile / s.cols) * 512;
  return { x, y, width: Math.min(512, s.width - x), height: Math.min(512, s.height - y) };
}

/**
 * Pixels of tile `d` that task `t`, run on `lane`'s node, fetches (as the worker does, tiles-task.ts): a
 * tile's rows are contiguous, so a halo above or below costs its rows; a halo to the side costs the tile's
 * rows it spans in full, unless the tile was made for readers of other lanes and this read crosses lanes:
 * then it comes from the tile's edge strip (edges.ts). An overview tile reads the half-resolution quarters
 * of the tiles below (put-products.ts).
 */
function readPixels(t: number, d: number, lane: number): number {
  const own = tileRect(t);
  const dep = tileRect(d);
  let area = 0;
  for (const dependency of p.stages[stageOf[t]!]!.deps) {
    if (dependency.stage !== stageOf[d]) continue;
    if (dependency.kind === "children") {
      area = Math.max(area, (dep.width * dep.height) / 4);
      continue;
    }
    const up = p.stages[dependency.stage]!;
    const region =
      dependency.kind === "footprint" ? footprintRegion(dependency.footprint, own, up.width, up.height) : dep;
    const w = region ? Math.min(region.x + region.width, dep.x + dep.width) - Math.max(region.x, dep.x) : 0;
    const h = region ? Math.min(region.y + region.height, dep.y + dep.height) - Math.max(region.y, dep.y) : 0;
    if (w <= 0 || h <= 0) continue;
    const strip = laneOf[d] !== lane && readAcrossLanes(p, d);
    area = Math.max(area, (strip || w === dep.width ? w : dep.width) * h);
  }
  return area;
}

const TILE_PIXELS = 512 * 512;
/** Seconds task `t` spends fetching the inputs that were made on other nodes than `lane`'s. */
function remoteReadSeconds(t: number, lane: number): number {
  let seconds = 0;
  for (let e = depStart[t]!; e < depStart[t + 1]!; e++) {
    const d = deps[e]!;
    if (madeOn[d] !== lane)
      seconds += COST.remoteRead + (COST.remoteTile * readPixels(t, d, lane)) / TILE_PIXELS;
  }
  return seconds;
}

/** Report the tasks a pod finished before `horizon`, and its end if it came. */
function advance(pod: Pod, horizon: number, stimuli: Stimulus[]): void {
  const done: number[] = [];
  while (pod.reported < pod.times.length && pod.times[pod.reported]! < horizon) {
    const t = pod.tasks[pod.reported]!;
    doneAt[t] = pod.times[pod.reported++]!;
    doneBy[t] = spans.get(`${pod.batch}/${pod.attempt}`);
    done.push(t);
  }
  for (const t of done) {
    // A task taken from another lane writes to shared scratch, not to this node's volume.
    if (local[t] === 1 && laneOf[t] === pod.lane && ++held[pod.lane]! > peakHeld) peakHeld = held[pod.lane]!;
    for (let e = depStart[t]!; e < depStart[t + 1]!; e++) {
      const d = deps[e]!;
      focus.add(laneOf[d]!);
      if (assembling[t]) continue;
      const bytes = readPixels(t, d, pod.lane);
      readBytes += bytes;
      if (madeOn[d] !== pod.lane) remoteBytes += bytes;
    }
    for (let e = consumerStart[t]!; e < consumerStart[t + 1]!; e++) focus.add(laneOf[consumers[e]!]!);
  }
  if (done.length)
    stimuli.push({ type: "TasksSucceeded", batch: pod.batch, attempt: pod.attempt, tasks: done });
  if (pod.end >= horizon) return;
  pods.delete(pod.batch);
  podsOn[pod.lane]!--;
  focus.add(pod.lane);
  if (pod.fate === null) {
    stimuli.push({ type: "BatchSucceeded", batch: pod.batch, attempt: pod.attempt });
    return;
  }
  stimuli.push({
    type: "BatchFailed",
    batch: pod.batch,
    attempt: pod.attempt,
    reason: pod.fate,
    at: now * 1000,
    message: pod.fate,
  });
  if (pod.fate === "node-lost") {
    // The node is gone: so are the lane's other pods and its volume; a fresh node takes a while.
    for (const other of [...pods.values()].filter((o) => o.lane === pod.lane)) {
      pods.delete(other.batch);
      podsOn[pod.lane]!--;
      const span = spans.get(`${other.batch}/${other.attempt}`)!;
      span.end = Math.max(span.start, Math.min(span.end, now));
      const at = now * 1000;
      stimuli.push({
        type: "BatchFailed",
        batch: other.batch,
        attempt: other.attempt,
        reason: "node-lost",
        at,
        message: "node lost",
      });
    }
    stimuli.push({ type: "LaneLost", lane: pod.lane });
    // Lineage may send deleted tiles of any lane back to be recomputed: every lane is worth a look.
    for (let l = 0; l < nodes; l++) focus.add(l);
    held[pod.lane] = 0;
    cpuFreeAt[pod.lane] = now + COST.nodeReplace;
    replacing.push({ lane: pod.lane, from: now, to: now + COST.nodeReplace });
  }
}

const started = performance.now();
let calls = 0;
for (;;) {
  // An idle node may be given another lane's work: it is always worth a look.
  for (let l = 0; l < nodes; l++) if (podsOn[l] === 0) focus.add(l);
  const lanes = [...focus].filter((l) => podsOn[l]! < SLOTS).sort((a, b) => a - b);
  focus = new Set();
  const actions = schedule(p, state, now * 1000, { lanes, parallelism: SLOTS * nodes });
  calls++;
  const stimuli: Stimulus[] = [];
  if (actions.some((a) => a.type === "Complete")) break;
  // At the pod cap, lanes not served this time are still owed a look.
  if (pods.size + actions.filter((a) => a.type === "StartBatch").length >= SLOTS * nodes) {
    const served = new Set(actions.flatMap((a) => (a.type === "StartBatch" ? [a.lane] : [])));
    for (const l of lanes) if (!served.has(l)) focus.add(l);
  }
  for (const a of actions) {
    if (a.type === "FailChain") throw new Error(`the chain failed: ${a.message}`);
    if (a.type === "RequeueAfter") wakes.push(now + a.ms / 1000);
    if (a.type === "DeleteTiles") {
      for (const t of a.tasks)
        if (local[t] === 1 && state.moved[t] === 0 && state.tasks[t] === DONE) held[a.lane]!--;
      stimuli.push({ type: "TilesDeleted", tasks: a.tasks });
    }
    if (a.type === "StartBatch") {
      startPod(a.batch, a.lane, a.attempt, a.tasks);
      stimuli.push({
        type: "BatchStarted",
        batch: a.batch,
        lane: a.lane,
        attempt: a.attempt,
        tasks: a.tasks,
      });
    }
  }
  state = observe(p, state, stimuli).state;
  let next = Math.min(...wakes);
  for (const pod of pods.values()) next = Math.min(next, pod.times[pod.reported] ?? pod.end);
  if (next === Infinity) throw new Error("stalled: nothing running, nothing to wait for");
  now = next;
  const horizon = now + COST.quantum;
  const reports: Stimulus[] = [];
  // In the order nodes run them, so that a node loss kills the pods queued behind the dying one before
  // they could report work done after the node was gone.
  for (const pod of [...pods.values()].sort((a, b) => a.start - b.start))
    if (pods.get(pod.batch) === pod) advance(pod, horizon, reports);
  for (let i = wakes.length - 1; i >= 0; i--) {
    if (wakes[i]! < horizon) {
      wakes.splice(i, 1);
      state.batches.forEach((b) => focus.add(b.lane));
    }
  }
  state = observe(p, state, reports).state;
  now = horizon;
}

const makespan = now;
const seconds = (performance.now() - started) / 1000;
const row = (label: string, value: string) => console.log(`${label.padEnd(34)} ${value}`);
console.log(
  `simulated ${nodes} nodes, ${side}x${side} tiles (${n} tasks), failure rate ${failureRate}, seed ${values.seed}`,
);
row("makespan", `${makespan.toFixed(0)} s`);
row(
  "lower bound",
  `${bound.toFixed(0)} s (critical path ${(criticalPath + COST.podStart).toFixed(0)} s, work/capacity then assembly ${(capacityBound + COST.podStart).toFixed(0)} s)`,
);
row(
  "makespan / bound",
  `${(makespan / bound).toFixed(3)}   target ≤ 1.10 ${makespan / bound <= 1.1 ? "ok" : "OVER TARGET"}`,
);
row(
  "cross-node bytes / intermediate bytes read",
  `${((100 * remoteBytes) / readBytes).toFixed(2)} %   target ≤ 5 % ${remoteBytes / readBytes <= 0.05 ? "ok" : "OVER TARGET"}`,
);
row("peak scratch per node", `${peakHeld} tiles`);
row("pods started per tile", `${(podCount / n).toFixed(4)} (${podCount} pods)`);
row("scheduler calls / wall time", `${calls} / ${seconds.toFixed(1)} s`);

// Where node time went until the last tile other than the assembly's (which runs alone after it).
let last = -1;
for (let t = 0; t < n; t++) if (!assembling[t] && (last < 0 || doneAt[t]! > doneAt[last]!)) last = t;
const until = doneAt[last]!;
const byNode: Span[][] = Array.from({ length: nodes }, () => []);
for (const s of spans.values()) if (s.start < until) byNode[s.lane]!.push(s);
const idle = { "pod start": 0, "no pod": 0, "node replacement": 0, "done, others working": 0 };
let busy = 0;
byNode.forEach((list, lane) => {
  let free = COST.podStart; // the first pod start is in the bound
  for (const s of list.sort((a, b) => a.start - b.start)) {
    if (s.start > free) {
      const down = replacing
        .filter((r) => r.lane === lane)
        .reduce((sum, r) => sum + Math.max(0, Math.min(s.start, r.to) - Math.max(free, r.from)), 0);
      const starting = Math.min(s.start - free - down, s.start - Math.max(free, s.created));
      idle["node replacement"] += down;
      idle["pod start"] += Math.max(0, starting);
      idle["no pod"] += s.start - free - down - Math.max(0, starting);
    }
    const end = Math.min(until, Math.max(free, s.end));
    busy += Math.max(0, end - Math.max(free, s.start));
    free = Math.max(free, end);
  }
  idle["done, others working"] += until - free;
});
const perNode = (seconds: number) => `${(seconds / nodes).toFixed(1)} s`;
row(
  "per node until the last tile",
  `${until.toFixed(0)} s: busy ${perNode(busy)} (cross-node reads ${perNode(remoteSeconds)}); idle: ${Object.entries(
    idle,
  )
    .map(([why, seconds]) => `${why} ${perNode(seconds)}`)
    .join(", ")}`,
);
// The critical chain: from the last tile back through the input that was done last, down to a source tile.
console.log("critical chain back from the last tile (ready → pod created → started → done, s):");
for (let t = last; t >= 0;) {
  let input = -1;
  for (let e = depStart[t]!; e < depStart[t + 1]!; e++)
    if (input < 0 || doneAt[deps[e]!]! > doneAt[input]!) input = deps[e]!;
  const ready = input < 0 ? 0 : doneAt[input]!;
  const s = doneBy[t]!;
  const stage = p.stages[stageOf[t]!]!.name;
  const pod = `pod ${s.batch} attempt ${s.attempt} of ${s.size} on lane ${s.lane}`;
  const times = [ready, s.created, s.start, doneAt[t]!].map((x) => x.toFixed(1)).join(" → ");
  console.log(`  ${stage} tile of lane ${laneOf[t]}: ${times}  ${pod}`);
  t = input;
}
