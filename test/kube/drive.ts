import { expect } from "vitest";
import type { Plan } from "../../operator/plan/plan.ts";
import { schedule } from "../../operator/schedule/schedule.ts";
import { observe } from "../../operator/schedule/transitions.ts";
import { initialState, type ChainState, type Stimulus } from "../../operator/schedule/types.ts";
import { mulberry32 } from "../../scripts/lib/prng.ts";

export interface Run {
  state: ChainState;
  now: number;
  complete: boolean;
  /** Pod names made so far, as `<batch>-a<attempt>`: a name is never made twice. */
  readonly pods: Set<string>;
}

/**
 * A random run of the scheduler for `steps` rounds (or to completion): each round applies schedule()'s
 * actions as a shell would, then one running batch succeeds, fails part-way, is evicted, or loses its node.
 */
export function drive(plan: Plan, seed: number, steps: number, run?: Run): Run {
  const random = mulberry32(seed);
  const r: Run = run ?? {
    state: initialState(plan.dag.stageStart[plan.stages.length]!, plan.lanes.count),
    now: 0,
    complete: false,
    pods: new Set(),
  };
  const feed = (s: Stimulus) => (r.state = observe(plan, r.state, s).state);
  for (let step = 0; step < steps && !r.complete; step++) {
    for (const a of schedule(plan, r.state, r.now)) {
      if (a.type === "DeleteTiles") feed({ type: "TilesDeleted", tasks: a.tasks });
      else if (a.type === "RequeueAfter") r.now += a.ms;
      else if (a.type === "Complete") r.complete = true;
      else if (a.type === "StartBatch") {
        const pod = `${a.batch}-a${a.attempt}`;
        expect(r.pods.has(pod), `pod ${pod} made twice`).toBe(false);
        r.pods.add(pod);
        feed({ type: "BatchStarted", batch: a.batch, lane: a.lane, attempt: a.attempt, tasks: a.tasks });
      } else throw new Error(`unexpected ${a.type}`);
    }
    const running = r.state.batches.filter((b) => b.phase === "running");
    if (running.length === 0) continue;
    const b = running[Math.floor(random() * running.length)]!;
    const roll = random();
    if (roll < 0.7) {
      feed({ type: "BatchSucceeded", batch: b.id, attempt: b.attempt });
    } else if (roll < 0.95) {
      const finished = b.tasks.slice(0, Math.floor(random() * b.tasks.length));
      feed({ type: "TasksSucceeded", batch: b.id, attempt: b.attempt, tasks: finished });
      const reason = roll < 0.85 ? "error" : "evicted";
      feed({ type: "BatchFailed", batch: b.id, attempt: b.attempt, reason, at: r.now, message: "boom" });
    } else {
      for (const other of running.filter((o) => o.lane === b.lane))
        feed({
          type: "BatchFailed",
          batch: other.id,
          attempt: other.attempt,
          reason: "node-lost",
          at: r.now,
          message: "lost",
        });
      feed({ type: "LaneLost", lane: b.lane });
    }
  }
  return r;
}
