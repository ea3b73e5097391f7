/**
 * The work queue of the controller (kube-rs scheduler + runner, client-go workqueue): keys, not
 * events. A key is never reconciled twice at once; adding a queued key keeps the earlier run-at; a
 * key added while it is being reconciled runs again after; failures back off per key; an overall
 * token bucket caps how many reconciles start per second. WorkQueue is the decision logic with time
 * passed in; runQueue drives it with a Clock.
 */
import { realClock, type Clock } from "./clock.ts";
import { backoffMs, RECONCILE_BACKOFF, type Backoff } from "./shell-backoff.ts";

/** Why a key is added, as the enqueuer means it. */
export type Intent = { readonly kind: "immediately" } | { readonly kind: "after"; readonly ms: number };

export const IMMEDIATELY: Intent = { kind: "immediately" };
export const withDelay = (ms: number): Intent => (ms > 0 ? { kind: "after", ms } : IMMEDIATELY);

export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

export interface QueueOptions {
  readonly backoff?: Backoff;
  /** Reconciles started per second overall; unlimited when absent. */
  readonly rate?: RateLimit;
}

/** What a reconcile asks for: run again after a while, or only when something changes. */
export interface ReconcileResult {
  readonly requeueAfterMs?: number;
}

export type Outcome = { readonly ok: ReconcileResult } | { readonly error: unknown };

export class WorkQueue {
  readonly #queued = new Map<string, number>();
  readonly #active = new Set<string>();
  /** Keys added while active, with their run-at: queued again when the active run finishes. */
  readonly #dirty = new Map<string, number>();
  readonly #failures = new Map<string, number>();
  readonly #backoff: Backoff;
  readonly #rate: RateLimit | undefined;
  #tokens: number;
  #tokensAt = -Infinity;

  constructor(options: QueueOptions = {}) {
    this.#backoff = options.backoff ?? RECONCILE_BACKOFF;
    this.#rate = options.rate;
    this.#tokens = options.rate?.burst ?? 0;
  }

  /** Queues `key` to run at `now` (+ the intent's delay); an earlier run-at already queued wins. */
  add(key: string, now: number, intent: Intent = IMMEDIATELY): void {
    const at = intent.kind === "after" ? now + intent.ms : now;
    const target = this.#active.has(key) ? this.#dirty : this.#queued;
    const prev = target.get(key);
    if (prev === undefined || at < prev) target.set(key, at);
  }

  /** The due key with the earliest run-at that is not active, if the rate limit allows one now. */
  take(now: number): string | undefined {
    let best: string | undefined;
    let bestAt = Infinity;
    for (const [key, at] of this.#queued) if (at <= now && at < bestAt) [best, bestAt] = [key, at];
    if (best === undefined || !this.#spend(now)) return undefined;
    this.#queued.delete(best);
    this.#active.add(best);
    return best;
  }

  /** When take() may next return a key (undefined: nothing queued). */
  wakeAt(now: number): number | undefined {
    let at = Infinity;
    for (const t of this.#queued.values()) at = Math.min(at, t);
    if (at === Infinity) return undefined;
    return Math.max(at, this.#tokenAt(now));
  }

  /** Ends an active run: backoff on error, the requested requeue, and any add that came meanwhile. */
  finish(key: string, now: number, outcome: Outcome): void {
    if (!this.#active.delete(key)) throw new Error(`key ${key} is not being processed`);
    if ("error" in outcome) {
      const failures = (this.#failures.get(key) ?? 0) + 1;
      this.#failures.set(key, failures);
      this.add(key, now, { kind: "after", ms: backoffMs(failures, this.#backoff) });
    } else {
      this.#failures.delete(key);
      const after = outcome.ok.requeueAfterMs;
      if (after !== undefined) this.add(key, now, { kind: "after", ms: Math.max(0, after) });
    }
    const dirty = this.#dirty.get(key);
    if (dirty !== undefined) {
      this.#dirty.delete(key);
      this.add(key, dirty);
    }
  }

  /** Consecutive failures of `key` (0 after a success). */
  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Queued keys with their run-at, in run-at order (for metrics and tests). */
  queued(): [string, number][] {
    return [...this.#queued].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
  }

  get activeCount(): number {
    return this.#active.size;
  }

  #refill(now: number): void {
    const r = this.#rate;
    if (!r) return;
    if (this.#tokensAt !== -Infinity)
      this.#tokens = Math.min(r.burst, this.#tokens + ((now - this.#tokensAt) * r.perSecond) / 1000);
    this.#tokensAt = now;
  }

  #spend(now: number): boolean {
    if (!this.#rate) return true;
    this.#refill(now);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  #tokenAt(now: number): number {
    const r = this.#rate;
    if (!r) return now;
    this.#refill(now);
    return this.#tokens >= 1 ? now : now + Math.ceil(((1 - this.#tokens) * 1000) / r.perSecond);
  }
}

export interface RunOptions {
  readonly queue: WorkQueue;
  /** Level-triggered: told only the key, never why it runs. */
  readonly reconcile: (key: string, signal: AbortSignal) => Promise<ReconcileResult>;
  readonly concurrency?: number;
  readonly clock?: Clock;
  /** Told of each failed reconcile (logs, metrics); the retry itself is the queue's backoff. */
  readonly onError?: (key: string, error: unknown) => void;
}

export interface Runner {
  enqueue(key: string, intent?: Intent): void;
  /** Takes no more keys, aborts the signal given to running reconciles and waits for them. */
  stop(): Promise<void>;
}

export function runQueue(options: RunOptions): Runner {
  const { queue, reconcile } = options;
  const clock = options.clock ?? realClock;
  const concurrency = options.concurrency ?? 1;
  const abort = new AbortController();
  const running = new Set<Promise<void>>();
  let cancelTimer: (() => void) | undefined;
  let timerAt = Infinity;

  const run = async (key: string) => {
    let outcome: Outcome;
    try {
      outcome = { ok: await reconcile(key, abort.signal) };
    } catch (error) {
      options.onError?.(key, error);
      outcome = { error };
    }
    queue.finish(key, clock.now(), outcome);
  };

  const pump = () => {
    if (abort.signal.aborted) return;
    const now = clock.now();
    while (queue.activeCount < concurrency) {
      const key = queue.take(now);
      if (key === undefined) break;
      const p = run(key).finally(() => {
        running.delete(p);
        pump();
      });
      running.add(p);
    }
    const at = queue.activeCount < concurrency ? queue.wakeAt(now) : undefined;
    if (at !== undefined && at < timerAt) {
      cancelTimer?.();
      timerAt = at;
      cancelTimer = clock.setTimer(at - now, () => {
        cancelTimer = undefined;
        timerAt = Infinity;
        pump();
      });
    }
  };

  return {
    enqueue(key, intent = IMMEDIATELY) {
      queue.add(key, clock.now(), intent);
      pump();
    },
    async stop() {
      abort.abort();
      cancelTimer?.();
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}
