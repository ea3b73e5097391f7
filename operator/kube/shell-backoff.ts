/**
 * Backoff of the controller shells (watch restarts, failed reconciles), as pure functions of the
 * failure count. The chain's own batch retries use operator/schedule/backoff.ts.
 */
export interface Backoff {
  readonly baseMs: number;
  readonly maxMs: number;
}

/** kube-rs's watcher default: 800 ms, doubling, capped at 30 s. */
export const WATCH_BACKOFF: Backoff = { baseMs: 800, maxMs: 30_000 };

/** Per-key reconcile error backoff: 1 s doubling to 5 minutes. */
export const RECONCILE_BACKOFF: Backoff = { baseMs: 1_000, maxMs: 5 * 60_000 };

/** Delay after `failures` consecutive failures: 0 for none, then base, 2 x base … capped. */
export function backoffMs(failures: number, b: Backoff): number {
  if (failures < 1) return 0;
  return Math.min(b.maxMs, b.baseMs * 2 ** Math.min(failures - 1, 40));
}

/**
 * Spreads a delay over [ms/2, ms) so that many clients failing at once (an API server restart)
 * do not all come back in the same instant. `random` is in [0, 1).
 */
export function jittered(ms: number, random: number): number {
  return Math.round(ms * (0.5 + random / 2));
}
