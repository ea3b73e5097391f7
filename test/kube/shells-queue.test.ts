/** The work queue as tables of steps on a fake clock: what take() returns and what stays queued. */
import { describe, expect, it } from "vitest";
import type { Clock } from "../../operator/kube/clock.ts";
import {
  IMMEDIATELY,
  runQueue,
  withDelay,
  WorkQueue,
  type Intent,
  type Outcome,
  type QueueOptions,
} from "../../operator/kube/queue.ts";
import { backoffMs, jittered, RECONCILE_BACKOFF, WATCH_BACKOFF } from "../../operator/kube/shell-backoff.ts";

type Step =
  | { add: string; at: number; intent?: Intent }
  | { take: number; expect: string | undefined }
  | { finish: string; at: number; outcome: Outcome };

interface Case {
  name: string;
  options?: QueueOptions;
  steps: Step[];
  /** queued() at the end: [key, run-at] in run-at order. */
  queued: [string, number][];
}

const ok: Outcome = { ok: {} };
const boom: Outcome = { error: new Error("boom") };
const B = RECONCILE_BACKOFF.baseMs;

const cases: Case[] = [
  {
    name: "a duplicate add keeps the earlier run-at",
    steps: [
      { add: "a", at: 0, intent: withDelay(500) },
      { add: "a", at: 100 },
      { add: "a", at: 200, intent: withDelay(9) },
    ],
    queued: [["a", 100]],
  },
  {
    name: "a later run-at never postpones an earlier one",
    steps: [
      { add: "a", at: 0 },
      { add: "a", at: 0, intent: withDelay(1000) },
    ],
    queued: [["a", 0]],
  },
  {
    name: "keys come out in run-at order, not before they are due",
    steps: [
      { add: "late", at: 0, intent: withDelay(50) },
      { add: "early", at: 0, intent: withDelay(10) },
      { take: 5, expect: undefined },
      { take: 10, expect: "early" },
      { take: 49, expect: undefined },
      { take: 50, expect: "late" },
    ],
    queued: [],
  },
  {
    name: "an active key is not taken again; an add while active runs after it finishes",
    steps: [
      { add: "a", at: 0 },
      { take: 0, expect: "a" },
      { add: "a", at: 1 },
      { take: 2, expect: undefined },
      { finish: "a", at: 3, outcome: ok },
      { take: 3, expect: "a" },
    ],
    queued: [],
  },
  {
    name: "several adds while active collapse into one re-run at the earliest run-at",
    steps: [
      { add: "a", at: 0 },
      { take: 0, expect: "a" },
      { add: "a", at: 5, intent: withDelay(100) },
      { add: "a", at: 6 },
      { finish: "a", at: 20, outcome: ok },
    ],
    queued: [["a", 6]],
  },
  {
    name: "requeueAfter from a success",
    steps: [
      { add: "a", at: 0 },
      { take: 0, expect: "a" },
      { finish: "a", at: 10, outcome: { ok: { requeueAfterMs: 300 } } },
    ],
    queued: [["a", 310]],
  },
  {
    name: "a success without requeue leaves nothing queued",
    steps: [
      { add: "a", at: 0 },
      { take: 0, expect: "a" },
      { finish: "a", at: 10, outcome: ok },
    ],
    queued: [],
  },
  {
    name: "failures back off per key: base, 2x, 4x; other keys unaffected",
    steps: [
      { add: "a", at: 0 },
      { add: "b", at: 0 },
      { take: 0, expect: "a" },
      { take: 0, expect: "b" },
      { finish: "a", at: 0, outcome: boom },
      { finish: "b", at: 0, outcome: ok },
      { take: B, expect: "a" },
      { finish: "a", at: B, outcome: boom },
      { take: 3 * B - 1, expect: undefined },
      { take: 3 * B, expect: "a" },
      { finish: "a", at: 3 * B, outcome: boom },
    ],
    queued: [["a", 7 * B]],
  },
  {
    name: "a success resets the backoff",
    steps: [
      { add: "a", at: 0 },
      { take: 0, expect: "a" },
      { finish: "a", at: 0, outcome: boom },
      { take: B, expect: "a" },
      { finish: "a", at: B, outcome: ok },
      { add: "a", at: B },
      { take: B, expect: "a" },
      { finish: "a", at: B, outcome: boom },
    ],
    queued: [["a", 2 * B]],
  },
  {
    name: "an event during a failing run re-runs at once (the earlier run-at wins over the backoff)",
    steps: [
      { add: "a", at: 0 },
      { take: 0, expect: "a" },
      { add: "a", at: 5 },
      { finish: "a", at: 10, outcome: boom },
    ],
    queued: [["a", 5]],
  },
  {
    name: "the overall rate limit: a burst, then one per 1/rate",
    options: { rate: { perSecond: 10, burst: 2 } },
    steps: [
      { add: "a", at: 0 },
      { add: "b", at: 0 },
      { add: "c", at: 0 },
      { take: 0, expect: "a" },
      { take: 0, expect: "b" },
      { take: 0, expect: undefined },
      { take: 99, expect: undefined },
      { take: 100, expect: "c" },
    ],
    queued: [],
  },
];

describe("WorkQueue", () => {
  it.each(cases)("$name", ({ options, steps, queued }) => {
    const q = new WorkQueue(options);
    steps.forEach((s, i) => {
      if ("add" in s) q.add(s.add, s.at, s.intent ?? IMMEDIATELY);
      else if ("take" in s) expect(q.take(s.take), `step ${i}`).toBe(s.expect);
      else q.finish(s.finish, s.at, s.outcome);
    });
    expect(q.queued()).toEqual(queued);
  });

  it("says when to wake: the earliest run-at, or when the rate limit has a token", () => {
    const q = new WorkQueue({ rate: { perSecond: 4, burst: 1 } });
    expect(q.wakeAt(0)).toBeUndefined();
    q.add("a", 0, withDelay(30));
    expect(q.wakeAt(0)).toBe(30);
    expect(q.take(30)).toBe("a");
    q.add("b", 30);
    expect(q.wakeAt(30)).toBe(280);
  });

  it("refuses to finish a key that is not active", () => {
    expect(() => new WorkQueue().finish("x", 0, ok)).toThrow(/not being processed/);
  });
});

describe("backoff", () => {
  it.each([
    [0, 0],
    [1, 800],
    [2, 1600],
    [3, 3200],
    [6, 25_600],
    [7, 30_000],
    [500, 30_000],
  ])("watch restart after %i failures: %i ms", (failures, ms) => {
    expect(backoffMs(failures, WATCH_BACKOFF)).toBe(ms);
  });
  it("jitter spreads a delay over [d/2, d)", () => {
    expect([jittered(1000, 0), jittered(1000, 0.5), jittered(1000, 0.999)]).toEqual([500, 750, 1000]);
  });
});

/** A clock whose timers fire only when the test advances it. */
class FakeClock implements Clock {
  t = 0;
  #timers: { at: number; fn: () => void; live: boolean }[] = [];
  now() {
    return this.t;
  }
  setTimer(ms: number, fn: () => void) {
    const timer = { at: this.t + ms, fn, live: true };
    this.#timers.push(timer);
    return () => void (timer.live = false);
  }
  async advance(ms: number) {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const due = this.#timers.filter((x) => x.live && x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      due.live = false;
      this.t = due.at;
      due.fn();
    }
    this.t = end;
    await settle();
  }
}

const settle = () => new Promise((r) => setImmediate(r));

describe("runQueue", () => {
  it("runs keys with bounded concurrency, never one key twice at once, and re-runs a key changed meanwhile", async () => {
    const clock = new FakeClock();
    const active = new Set<string>();
    const log: string[] = [];
    let peak = 0;
    const release = new Map<string, () => void>();
    const runner = runQueue({
      queue: new WorkQueue(),
      clock,
      concurrency: 2,
      reconcile: async (key) => {
        expect(active.has(key), `${key} twice at once`).toBe(false);
        active.add(key);
        peak = Math.max(peak, active.size);
        log.push(`start ${key}`);
        await new Promise<void>((r) => release.set(key, r));
        active.delete(key);
        return {};
      },
    });
    for (const k of ["a", "b", "c", "a"]) runner.enqueue(k);
    await settle();
    expect(log).toEqual(["start a", "start b"]);
    runner.enqueue("a"); // while a runs: once more after it
    release.get("a")!();
    await settle();
    release.get("b")!();
    await settle();
    expect(log).toEqual(["start a", "start b", "start c", "start a"]);
    release.get("c")!();
    release.get("a")!();
    await settle();
    expect(log).toHaveLength(4);
    expect(peak).toBe(2);
    await runner.stop();
  });

  it("honours requeueAfter and error backoff on the injected clock, and stop() waits for the running reconcile", async () => {
    const clock = new FakeClock();
    const runs: number[] = [];
    let fail = true;
    let stopped = false;
    const runner = runQueue({
      queue: new WorkQueue(),
      clock,
      reconcile: async (_key, signal) => {
        runs.push(clock.now());
        if (runs.length === 4) {
          await new Promise((r) => signal.addEventListener("abort", r));
          stopped = true;
          return {};
        }
        if (fail) {
          fail = false;
          throw new Error("first run fails");
        }
        return { requeueAfterMs: 5000 };
      },
    });
    runner.enqueue("k");
    await clock.advance(B - 1);
    expect(runs).toEqual([0]);
    await clock.advance(1);
    expect(runs).toEqual([0, B]);
    await clock.advance(5000);
    expect(runs).toEqual([0, B, B + 5000]);
    await clock.advance(5000);
    expect(runs).toEqual([0, B, B + 5000, B + 10_000]);
    await runner.stop();
    expect(stopped).toBe(true);
    runner.enqueue("k");
    await clock.advance(60_000);
    expect(runs).toHaveLength(4);
  });
});
