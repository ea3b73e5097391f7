import { laneRange } from "../plan/lanes.ts";
import type { Plan } from "../plan/plan.ts";
import { DELETED, DONE, PENDING, RUNNING, type Action, type Batch, type ChainState } from "./types.ts";

export interface ScheduleOptions {
  /** Live values of `execution` (they may change after planning); default: the planned spec's. */
  readonly parallelism?: number;
  readonly tasksPerPod?: number;
  readonly suspend?: boolean;
  /**
   * Only look at these lanes for deletions and new batches (retries are always considered): for
   * callers that know which lanes changed since their last call. Default: every lane.
   */
  readonly lanes?: readonly number[];
}

/**
 * What to do now, from the plan and the state of record alone (no I/O, clock passed in):
 * delete tiles whose consumers have all finished, restart batches whose backoff has elapsed, start
 * new depth-first batches on lanes up to `parallelism` pods, and say when to look again.
 */
export function schedule(
  plan: Plan,
  state: ChainState,
  now: number,
  options: ScheduleOptions = {},
): Action[] {
  if (state.failure !== null) return [{ type: "FailChain", message: state.failure }];
  const { execution, suspend } = plan.spec;
  const parallelism = options.parallelism ?? execution.parallelism;
  const tasksPerPod = options.tasksPerPod ?? execution.tasksPerPod;
  const suspended = options.suspend ?? suspend;
  const lanes = options.lanes ?? Array.from({ length: plan.lanes.count }, (_, i) => i);
  const { tasks } = state;
  const actions: Action[] = deletions(plan, tasks, lanes);

  const assembles = plan.stages.flatMap((s, i) => (s.kind === "assemble" ? [plan.dag.stageStart[i]!] : []));
  if (assembles.every((t) => tasks[t] === DONE || tasks[t] === DELETED))
    return [...actions, { type: "Complete" }];

  let running = 0;
  const pods = new Map<number, number>(); // lane → its running batches, this call's starts included
  const startOn = (lane: number) => {
    pods.set(lane, (pods.get(lane) ?? 0) + 1);
    running++;
  };
  for (const b of state.batches) if (b.phase === "running") startOn(b.lane);
  // Lanes whose lost node's replacement has not joined yet (see ChainState.unproven).
  const late = lanesLate(state);
  // Tasks of running batches are not pending; those of batches waiting to retry are kept for them, except
  // when such a batch has no counted failure to wait out and a lane loss took its inputs or its lane is
  // late: then they go back to the pool, where any node that can read their inputs may take them.
  const released = (b: Batch) =>
    b.failures === 0 && b.retryAt! <= now && (late.includes(b.lane) || !inputsReady(plan, tasks, b.tasks));
  const holding = state.batches.filter((b) => b.phase === "running" || !released(b));
  const reserved = new Set(holding.flatMap((b) => (b.phase === "backoff" ? b.tasks : [])));
  const load = loads(plan, state, holding, reserved);
  // Per lane, the tasks of its own still to start: what a new batch of its own can take from.
  const queued = Int32Array.from(load);
  for (const b of holding) queued[b.lane]! -= b.tasks.length;
  const size = chunk(load, parallelism, tasksPerPod);
  const builder = new BatchBuilder(plan, state, reserved, tasksPerPod);
  let wake = Infinity;
  for (const b of state.batches) {
    if (b.phase !== "backoff") continue;
    if (b.retryAt! > now) wake = Math.min(wake, b.retryAt!);
    else if (!suspended && running < parallelism && !released(b) && inputsReady(plan, tasks, b.tasks)) {
      const lane = retryLane(plan, state, b, load, tasksPerPod, late);
      // The retry climbs on from its tasks like a new batch: a retried overview tile is often the last
      // input of the level above, which would otherwise wait for a pod of its own, and so on up.
      const batch = builder.extend(b.tasks, lane);
      actions.push({ type: "StartBatch", batch: b.id, lane, attempt: b.attempt + 1, tasks: batch });
      startOn(lane);
      load[b.lane]! -= b.tasks.length;
      load[lane]! += batch.length;
    }
  }
  if (!suspended && running < parallelism) {
    const seq = [...state.nextBatch];
    // Fewest pods first, across calls: a lane gets a pod before any lane with more running gets another,
    // so that at the pod cap no node idles while another queues pods it can only run one after another.
    // A lane's own work stops at its share of the pods: more would lock its queue onto its node, out of
    // reach of idle nodes (below).
    const share = Math.ceil(parallelism / plan.lanes.count);
    // Among lanes with as many pods, the one with the most work ahead goes first (at the pod cap the
    // others wait; the heaviest sets the finish).
    const waiting = [...lanes].sort(
      (a, b) => (pods.get(a) ?? 0) - (pods.get(b) ?? 0) || load[b]! - load[a]! || a - b,
    );
    // Lanes are fixed, and node losses and retries leave some far behind: a node whose load is well below
    // the heaviest's takes the far end of that lane's queue, before that lane would stack more pods on its
    // own node, which runs them one after another.
    const exhausted = new Set<number>(); // lanes with nothing a pod elsewhere can run
    const take = (lane: number, gap: number): number[] => {
      // A late lane's queue waits for a node that is not there yet: any node lighter by a batch takes from it.
      for (const victim of late) {
        if (victim === lane || exhausted.has(victim) || load[victim]! - load[lane]! <= size) continue;
        const batch = builder.build(victim, size, lane);
        if (batch.length) {
          load[victim]! -= batch.length;
          load[lane]! += batch.length;
          return batch;
        }
        exhausted.add(victim);
      }
      for (let victim = heaviest(load, exhausted); victim >= 0 && victim !== lane;) {
        if (load[victim]! - load[lane]! <= gap) break;
        const batch = builder.build(victim, size, lane);
        if (batch.length) {
          load[victim]! -= batch.length;
          load[lane]! += batch.length;
          return batch;
        }
        exhausted.add(victim);
        victim = heaviest(load, exhausted);
      }
      return [];
    };
    const idleNode = late.length > 0 && load.some((work, lane) => work === 0 && !late.includes(lane));
    for (let i = 0; i < waiting.length && running < parallelism; i++) {
      const lane = waiting[i]!;
      let batch: number[];
      if (late.includes(lane)) {
        // Until its new node joins, a late lane binds one smallest batch to it and steals nothing: the rest
        // of its queue stays where nodes that are up can take it. Once a node that is up has run out of
        // work, it binds nothing: that node can start the batch now, the new one only when it joins.
        if (pods.has(lane) || idleNode) continue;
        batch = builder.build(lane, Math.min(size, smallest(tasksPerPod)));
      } else {
        batch = take(lane, STEAL_GAP * tasksPerPod);
        // The last of a lane's work waits for its running pod rather than splitting over two pods: a second
        // one would take part of it now, and the overview tiles above both halves would need a third pod
        // (and so on up the pyramid) after both; one pod later takes it all and climbs, finishing as soon.
        if (batch.length === 0 && !(pods.has(lane) && queued[lane]! <= size))
          batch = builder.build(lane, size);
        // An idle node with nothing of its own takes whatever it can read, however little: near the end
        // that is the top of the overview pyramid, waiting on lanes whose nodes are busy.
        if (batch.length === 0 && !pods.has(lane)) batch = take(lane, 0);
      }
      if (batch.length === 0) continue;
      actions.push({
        type: "StartBatch",
        batch: `l${lane}-b${seq[lane]!++}`,
        lane,
        attempt: 1,
        tasks: batch,
      });
      startOn(lane);
      if (pods.get(lane)! < share && !late.includes(lane)) insertByPods(waiting, i + 1, lane, pods);
    }
  }
  if (wake !== Infinity) actions.push({ type: "RequeueAfter", ms: wake - now });
  return actions;
}

/**
 * How many tasks a new batch takes: `tasksPerPod` while there is plenty of work, then the work left shared
 * out over the pods (guided self-scheduling), down to a quarter batch. A pod's tasks are bound to its node:
 * near the end, full batches would leave a few nodes running them one after another while the others idle.
 */
function chunk(load: Int32Array, parallelism: number, tasksPerPod: number): number {
  let left = 0;
  for (const l of load) left += l;
  const floor = smallest(tasksPerPod);
  return Math.max(floor, Math.min(tasksPerPod, Math.ceil(left / parallelism)));
}
/** The smallest new batch is `tasksPerPod` / SMALLEST: smaller ones would add pod starts for little. */
const SMALLEST = 4;
function smallest(tasksPerPod: number): number {
  return Math.ceil(tasksPerPod / SMALLEST);
}

/** The lanes whose lost node's replacement has not reported a finished task yet. */
function lanesLate(state: ChainState): number[] {
  const late: number[] = [];
  state.unproven?.forEach((u, lane) => {
    if (u === 1) late.push(lane);
  });
  return late;
}

/** How many batches more work a lane must have than another before the other's node takes some of it. */
const STEAL_GAP = 2;

/**
 * Where a batch whose retry is due runs again: on the lightest lane's node instead of its own when its
 * lane is more than a batch behind (the retry would queue behind that lane's other work) or late (its lost
 * node's replacement has not joined yet), and that node can read every input.
 */
function retryLane(
  plan: Plan,
  state: ChainState,
  b: Batch,
  load: Int32Array,
  size: number,
  late: readonly number[],
): number {
  let lightest = -1;
  for (let l = 0; l < load.length; l++)
    if (!late.includes(l) && (lightest < 0 || load[l]! < load[lightest]!)) lightest = l;
  if (lightest < 0 || (!late.includes(b.lane) && load[b.lane]! - load[lightest]! <= size)) return b.lane;
  const { depStart, deps } = plan.dag;
  const { laneOf, shared } = plan.lanes;
  const earlier = new Set<number>();
  for (const t of b.tasks) {
    for (let e = depStart[t]!; e < depStart[t + 1]!; e++) {
      const d = deps[e]!;
      const readable = earlier.has(d) || shared[d] === 1 || state.moved[d] === 1 || laneOf[d] === lightest;
      if (!readable) return b.lane;
    }
    earlier.add(t);
  }
  return lightest;
}

/** The lane with the most load not known to be exhausted; -1 when there is none. */
function heaviest(load: Int32Array, exhausted: ReadonlySet<number>): number {
  let best = -1;
  for (let l = 0; l < load.length; l++)
    if (!exhausted.has(l) && (best < 0 || load[l]! > load[best]!)) best = l;
  return best;
}

/**
 * Per lane, the tasks its node has ahead: its own pending ones (those a batch waiting to retry holds count
 * for the batch's lane), plus those of the batches it runs, whichever lane they came from.
 */
function loads(
  plan: Plan,
  state: ChainState,
  holding: readonly Batch[],
  reserved: ReadonlySet<number>,
): Int32Array {
  const { laneOf } = plan.lanes;
  const { tasks } = state;
  const load = new Int32Array(plan.lanes.count);
  for (let t = 0; t < tasks.length; t++) if (tasks[t] === PENDING) load[laneOf[t]!]!++;
  for (const t of reserved) if (tasks[t] === PENDING) load[laneOf[t]!]!--;
  for (const b of holding) load[b.lane]! += b.tasks.length;
  return load;
}

/** Queue `lane` again after position `from`, behind every lane with as few pods or fewer. */
function insertByPods(queue: number[], from: number, lane: number, pods: ReadonlyMap<number, number>): void {
  const mine = pods.get(lane)!;
  let at = from;
  while (at < queue.length && (pods.get(queue[at]!) ?? 0) <= mine) at++;
  queue.splice(at, 0, lane);
}

/** The task ids of a lane: one contiguous range [first, end) per stage. */
function laneTasks(plan: Plan, lane: number): [number, number][] {
  const { stageStart } = plan.dag;
  const ranges: [number, number][] = [];
  for (let si = 0; si < stageStart.length - 1; si++) {
    const start = stageStart[si]!;
    const [first, end] = laneRange(stageStart[si + 1]! - start, plan.lanes.count, lane);
    if (end > first) ranges.push([start + first, start + end]);
  }
  return ranges;
}

/**
 * A batch waiting to retry may have lost inputs since (a lane loss sent them back to be recomputed):
 * it restarts only once every input is done or made earlier in the batch.
 */
function inputsReady(plan: Plan, tasks: Uint8Array, batch: readonly number[]): boolean {
  const { depStart, deps } = plan.dag;
  const earlier = new Set<number>();
  for (const t of batch) {
    for (let e = depStart[t]!; e < depStart[t + 1]!; e++) {
      if (tasks[deps[e]!] !== DONE && !earlier.has(deps[e]!)) return false;
    }
    earlier.add(t);
  }
  return true;
}

/** Done tiles of these lanes whose consumers are all done: delete them, grouped by lane. */
function deletions(plan: Plan, tasks: Uint8Array, lanes: readonly number[]): Action[] {
  const { consumerStart, consumers } = plan.dag;
  const actions: Action[] = [];
  for (const lane of [...lanes].sort((a, b) => a - b)) {
    const list: number[] = [];
    for (const [a, b] of laneTasks(plan, lane)) {
      for (let t = a; t < b; t++) {
        const first = consumerStart[t]!;
        const end = consumerStart[t + 1]!;
        if (tasks[t] !== DONE || first === end) continue;
        let finished = true;
        for (let e = first; e < end && finished; e++) finished = tasks[consumers[e]!]! >= DONE;
        if (finished) list.push(t);
      }
    }
    if (list.length) actions.push({ type: "DeleteTiles", lane, tasks: list });
  }
  return actions;
}

/**
 * Depth-first batches: take the ready task of the deepest stage (ties: first a tile that other lanes
 * wait for, so that no lane idles at its border; then the one whose inputs it is the last reader of, so
 * the most scratch is freed; then the lowest id), count it as done, and let its same-lane consumers
 * become ready, until the batch is full. Work is per lane and lazy, so a call costs what the lanes it
 * builds for hold.
 */
class BatchBuilder {
  private readonly plan: Plan;
  private readonly tasks: Uint8Array;
  private readonly moved: Uint8Array;
  private readonly reserved: ReadonlySet<number>;
  private readonly taken = new Set<number>();
  // Per task, 1 + inputs not done (nor taken) and 1 + readers not done (nor taken); 0 = not computed yet.
  // Fresh typed arrays are zero pages until touched, so a call pays only for the lanes it looks at.
  private readonly missing: Int32Array;
  private readonly unread: Int32Array;
  private readonly waits: Uint8Array; // per overview task: 0 not computed yet, 1 no, 2 waits on work (see held)
  private readonly ready = new Map<number, Map<number, number[]>>(); // lane → stage → ready task ids
  private readonly limit: number; // tasksPerPod: what gathering (see take) may fill a batch up to
  private batch: number[] = [];
  private unlocked: number[] = [];
  private waitingOnBatch: number[] = [];
  private lane = 0;
  private node = 0;

  constructor(plan: Plan, state: ChainState, reserved: ReadonlySet<number>, limit: number) {
    const { tasks } = state;
    this.plan = plan;
    this.limit = limit;
    this.tasks = tasks;
    this.moved = state.moved;
    this.reserved = reserved;
    this.missing = new Int32Array(tasks.length);
    this.unread = new Int32Array(tasks.length);
    this.waits = new Uint8Array(tasks.length);
  }

  private missingOf(t: number): number {
    if (this.missing[t] === 0) {
      const { depStart, deps } = this.plan.dag;
      let m = 1;
      for (let e = depStart[t]!; e < depStart[t + 1]!; e++) if (this.tasks[deps[e]!]! < DONE) m++;
      this.missing[t] = m;
    }
    return this.missing[t]! - 1;
  }

  private unreadOf(t: number): number {
    if (this.unread[t] === 0) {
      const { consumerStart, consumers } = this.plan.dag;
      let u = 1;
      for (let e = consumerStart[t]!; e < consumerStart[t + 1]!; e++)
        if (this.tasks[consumers[e]!]! < DONE) u++;
      this.unread[t] = u;
    }
    return this.unread[t]! - 1;
  }

  private available(t: number): boolean {
    return this.tasks[t] === PENDING && !this.reserved.has(t) && !this.taken.has(t);
  }

  private readyIn(lane: number): Map<number, number[]> {
    let byStage = this.ready.get(lane);
    if (byStage) return byStage;
    byStage = new Map();
    laneTasks(this.plan, lane).forEach(([a, b]) => {
      const stage = this.stageOf(a);
      const overview = this.isOverview(a);
      for (let t = a; t < b; t++) {
        if (this.available(t) && this.missingOf(t) === 0 && !(overview && this.held(t)))
          push(byStage!, stage, t);
      }
    });
    this.ready.set(lane, byStage);
    return byStage;
  }

  /**
   * An overview tile whose reader also waits on a tile that a running pod makes is not a reason for a pod:
   * started alone, its reader would need yet another pod after both, one pod start per pyramid level. Held
   * back, it is gathered (see take) by the batch that can go on with the reader.
   */
  private held(t: number): boolean {
    const { consumerStart, consumers, depStart, deps } = this.plan.dag;
    for (let e = consumerStart[t]!; e < consumerStart[t + 1]!; e++) {
      const c = consumers[e]!;
      if (!this.isOverview(c)) continue;
      for (let f = depStart[c]!; f < depStart[c + 1]!; f++) if (this.waitsOnWork(deps[f]!)) return true;
    }
    return false;
  }

  /**
   * Is tile `d` still to come from work that goes on without any held tile: a running task, a tile task
   * (never held), or an overview tile above one? Grounded there, holds cannot wait on each other.
   */
  private waitsOnWork(d: number): boolean {
    if (this.tasks[d]! >= DONE) return false;
    if (this.tasks[d] === RUNNING || !this.isOverview(d)) return true;
    if (this.waits[d] === 0) {
      const { depStart, deps } = this.plan.dag;
      let w = false;
      for (let e = depStart[d]!; e < depStart[d + 1]! && !w; e++) w = this.waitsOnWork(deps[e]!);
      this.waits[d] = w ? 2 : 1;
    }
    return this.waits[d] === 2;
  }

  private isOverview(t: number): boolean {
    return this.plan.stages[this.stageOf(t)]!.kind === "overview";
  }

  private isAssembly(t: number): boolean {
    return this.plan.stages[this.stageOf(t)]!.kind === "assemble";
  }

  /**
   * The inputs of overview task `c` still to make, when they are overview tiles this batch can make now
   * (ready, free, readable on its node) and it has room: then `c` follows them in this batch. Else null.
   */
  private gatherable(c: number): number[] | null {
    if (!this.available(c) || !this.isOverview(c)) return null;
    const { depStart, deps } = this.plan.dag;
    const rest: number[] = [];
    for (let e = depStart[c]!; e < depStart[c + 1]!; e++) {
      const d = deps[e]!;
      if (this.tasks[d]! >= DONE || this.taken.has(d)) continue;
      if (!this.isOverview(d) || !this.available(d) || this.missingOf(d) !== 0) return null;
      if (!this.reachable(d, this.node)) return null;
      rest.push(d);
    }
    return rest.length && this.batch.length + rest.length < this.limit ? rest : null;
  }

  /**
   * Add `t` to the batch: count it as made, and let its readers of this lane (or that this node may pull)
   * become ready. A reader up the overview pyramid whose other inputs are ready too has them gathered into
   * this batch, so that the pod climbs on instead of leaving each input to a pod of its own lane.
   */
  private take(t: number): void {
    const { depStart, deps, consumerStart, consumers } = this.plan.dag;
    this.batch.push(t);
    this.taken.add(t);
    for (let e = depStart[t]!; e < depStart[t + 1]!; e++) {
      this.unreadOf(deps[e]!);
      this.unread[deps[e]!]!--;
    }
    for (let e = consumerStart[t]!; e < consumerStart[t + 1]!; e++) {
      const c = consumers[e]!;
      this.missingOf(c);
      this.missing[c]!--;
      this.waitingOnBatch.push(c);
    }
    for (let e = consumerStart[t]!; e < consumerStart[t + 1]!; e++) {
      const c = consumers[e]!;
      const rest = this.missingOf(c) > 0 ? this.gatherable(c) : null;
      if (rest) for (const d of rest) if (!this.taken.has(d)) this.take(d);
      if (
        this.missingOf(c) === 0 &&
        this.available(c) &&
        !this.unlocked.includes(c) &&
        (this.plan.lanes.laneOf[c] === this.lane || this.pulls(c, this.node))
      ) {
        push(this.ready.get(this.lane)!, this.stageOf(c), c);
        this.unlocked.push(c);
      }
    }
  }

  private stageOf(t: number): number {
    const starts = this.plan.dag.stageStart;
    let s = 0;
    while (starts[s + 1]! <= t) s++;
    return s;
  }

  private frees(t: number): number {
    const { depStart, deps } = this.plan.dag;
    let n = 0;
    for (let e = depStart[t]!; e < depStart[t + 1]!; e++) if (this.unreadOf(deps[e]!) === 1) n++;
    return n;
  }

  /** Can the node of lane `node` read every input of ready task `t`: made in this batch, on its volume, or shared? */
  private reachable(t: number, node: number): boolean {
    const { depStart, deps } = this.plan.dag;
    const { laneOf, shared } = this.plan.lanes;
    for (let e = depStart[t]!; e < depStart[t + 1]!; e++) {
      const d = deps[e]!;
      if (this.taken.has(d) || shared[d] === 1 || this.moved[d] === 1) continue;
      if (laneOf[d] !== node) return false;
    }
    return true;
  }

  /**
   * May a batch of `lane` go on with another lane's task `c` that it just made ready? When the node reads
   * every input and holds at least as many of them as `c`'s own lane does: then `c` reads no more across
   * nodes here than there, and does not wait for its lane's next pod (the top of an overview pyramid,
   * spread over lanes, climbs level by level in one batch instead of one pod start per level).
   */
  private pulls(c: number, lane: number): boolean {
    // An assembly reads every lane's encoded tiles from shared scratch: no node is nearer to it than another.
    if (this.isAssembly(c)) return true;
    const { depStart, deps } = this.plan.dag;
    const { laneOf, shared } = this.plan.lanes;
    let here = 0;
    let home = 0;
    for (let e = depStart[c]!; e < depStart[c + 1]!; e++) {
      const d = deps[e]!;
      const made = this.moved[d] === 0 ? laneOf[d]! : -1; // moved tiles are in shared scratch only
      if (this.taken.has(d) || made === lane) here++;
      else if (shared[d] === 0) return false;
      else if (made === laneOf[c]) home++;
    }
    return here >= home;
  }

  /** At home: the deepest stage; then a tile other lanes wait for; then the most inputs freed; then the lowest id. */
  private pickHome(ready: Map<number, number[]>): [number, number] {
    const stage = Math.max(...ready.keys());
    const list = ready.get(stage)!;
    let best = 0;
    let bestFrees = -1;
    for (let i = 0; i < list.length && i < 64; i++) {
      // Shared tiles outrank any count of freed inputs (a task reads at most a few hundred tiles).
      const f = this.plan.lanes.shared[list[i]!]! * 1e6 + this.frees(list[i]!);
      if (f > bestFrees || (f === bestFrees && list[i]! < list[best]!)) [best, bestFrees] = [i, f];
    }
    return [stage, best];
  }

  /**
   * Away: what this batch unlocked, deepest first (a tile pushed down on one node is not read across
   * nodes); else the highest id of the shallowest stage, the far end of the lane's own queue, so the two
   * pods work apart; only tasks whose inputs the pod can read.
   */
  private pickAway(
    ready: Map<number, number[]>,
    unlocked: readonly number[],
    node: number,
  ): [number, number] | null {
    let own = -1;
    for (const c of unlocked) {
      if (this.taken.has(c) || !this.reachable(c, node)) continue;
      if (
        own === -1 ||
        this.stageOf(c) > this.stageOf(own) ||
        (this.stageOf(c) === this.stageOf(own) && c < own)
      )
        own = c;
    }
    if (own !== -1) {
      const stage = this.stageOf(own);
      return [stage, ready.get(stage)!.indexOf(own)];
    }
    for (const stage of [...ready.keys()].sort((a, b) => a - b)) {
      const list = ready.get(stage)!;
      for (let i = list.length - 1; i >= 0 && i >= list.length - 64; i--)
        if (this.reachable(list[i]!, node)) return [stage, i];
    }
    return null;
  }

  /**
   * The deepest overview task (or assembly, which comes after every overview) this batch unlocked and has
   * not taken; -1 when there is none.
   */
  private climb(): number {
    let best = -1;
    for (const c of this.unlocked)
      if (
        !this.taken.has(c) &&
        (this.isOverview(c) || this.isAssembly(c)) &&
        this.reachable(c, this.node) &&
        (best === -1 || this.stageOf(c) > this.stageOf(best))
      )
        best = c;
    return best;
  }

  /**
   * A batch due to retry, `tasks` in order, on the node of lane `node`, extended with the overview tiles
   * they unlock there (and the siblings those need), climbing as a new batch does.
   */
  extend(tasks: readonly number[], node: number): number[] {
    this.begin(node, node);
    for (const t of tasks) this.take(t);
    return this.finish(this.readyIn(node));
  }

  private begin(lane: number, node: number): void {
    this.readyIn(lane);
    this.batch = [];
    this.unlocked = [];
    this.waitingOnBatch = [];
    this.lane = lane;
    this.node = node;
  }

  /**
   * Up to `size` ready tasks of `lane`, depth first, for a pod on the node of lane `node`: its own, or
   * another's (see pickAway).
   */
  build(lane: number, size: number, node = lane): number[] {
    const away = node !== lane;
    const ready = this.readyIn(lane);
    this.begin(lane, node);
    while (this.batch.length < size && ready.size > 0) {
      const pick = away ? this.pickAway(ready, this.unlocked, node) : this.pickHome(ready);
      if (pick === null) break;
      const [stage, index] = pick;
      const list = ready.get(stage)!;
      const t = list.splice(index, 1)[0]!;
      if (list.length === 0) ready.delete(stage);
      if (!this.taken.has(t)) this.take(t); // a task gathered by an earlier one may still be listed
    }
    return this.finish(ready);
  }

  private finish(ready: Map<number, number[]>): number[] {
    // Past the batch size, the pod still climbs the overview pyramid as far as this batch unlocked it (and on
    // to the assembly): each level left out would cost a pod start of its own, for a tenth of the work of a
    // tile task.
    for (let c = this.climb(); c !== -1 && this.batch.length < this.limit; c = this.climb()) this.take(c);
    // What this batch will make is not done yet: readers left out of it wait for the batch to finish.
    for (const c of this.waitingOnBatch) this.missing[c]!++;
    for (const c of this.unlocked) {
      if (this.taken.has(c)) continue;
      const stage = this.stageOf(c);
      const list = ready.get(stage)!;
      list.splice(list.indexOf(c), 1);
      if (list.length === 0) ready.delete(stage);
    }
    return this.batch;
  }
}

function push(byStage: Map<number, number[]>, stage: number, t: number): void {
  const list = byStage.get(stage);
  if (list) list.push(t);
  else byStage.set(stage, [t]);
}
