/**
 * Expectations (the Job controller's): after writing, a reconcile of the same chain waits until the stores
 * show the controller's own writes. Without them, a reconcile right after a status write reads the old
 * status (and only earns a 409), and one right after a pod creation does not see the pod and would start
 * its tasks again in a batch of a new number. A wait ends when the writes are seen or after `ttlMs` (a pod
 * deleted before the store saw it must not block the chain for ever).
 */
export const EXPECTATION_TTL_MS = 30_000;

interface Pending {
  /** The chain's resourceVersion read before our status write: while the store shows it, it is stale. */
  readonly staleVersion: string | null;
  readonly pods: ReadonlySet<string>;
  readonly until: number;
}

export class Expectations {
  readonly #pending = new Map<string, Pending>();
  readonly #ttlMs: number;

  constructor(ttlMs = EXPECTATION_TTL_MS) {
    this.#ttlMs = ttlMs;
  }

  /** Record what a reconcile of `key` wrote: the status (read at `readVersion`) and/or pods by name. */
  wrote(key: string, now: number, writes: { readVersion?: string; pods?: readonly string[] }): void {
    const before = this.#pending.get(key);
    this.#pending.set(key, {
      staleVersion: writes.readVersion ?? before?.staleVersion ?? null,
      pods: new Set([...(before?.pods ?? []), ...(writes.pods ?? [])]),
      until: now + this.#ttlMs,
    });
  }

  /**
   * 0 when the stores show every write (or the wait expired): reconcile now. Else how long to wait at most;
   * the watch events of the writes enqueue the key sooner.
   */
  waitMs(
    key: string,
    now: number,
    chainVersion: string | undefined,
    podSeen: (name: string) => boolean,
  ): number {
    const p = this.#pending.get(key);
    if (!p) return 0;
    const seen = p.staleVersion !== chainVersion && [...p.pods].every(podSeen);
    if (seen || now >= p.until) {
      this.#pending.delete(key);
      return 0;
    }
    return p.until - now;
  }

  forget(key: string): void {
    this.#pending.delete(key);
  }
}
