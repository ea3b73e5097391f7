/**
 * The watcher (kube-rs watcher.rs): list + watch of one resource as a stream of WatchEvents that never
 * ends by itself. It resumes from the last resourceVersion it saw (bookmarks included), relists when
 * the server says 410 Gone, and restarts with jittered exponential backoff whenever the watch or the
 * list fails.
 *
 * Built on client-node's Watch (one watch request) rather than its ListWatch/makeInformer: the
 * informer gives up for good on any error but 410 (an API server restart or a 500 leaves it dead
 * with no event to say so), its relist mutates its cache in place instead of swapping a snapshot,
 * and it mixes typed list objects (Dates) with raw watch objects (strings). Owning the loop here
 * costs ~150 lines and keeps the retry policy in one place, outside the reconcilers.
 */
import { Watch, type KubeConfig } from "@kubernetes/client-node";
import { realClock, sleep, type Clock } from "./clock.ts";
import { kubeJson, KubeHttpError } from "./kube-http.ts";
import { backoffMs, jittered, WATCH_BACKOFF, type Backoff } from "./shell-backoff.ts";
import type { KubeObject, WatchEvent } from "./store.ts";

/** One resource to watch: its group/version/plural, a namespace (all when absent) and selectors. */
export interface ResourceRef {
  /** "" for the core group. */
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

export function collectionPath(r: ResourceRef): string {
  const base = r.group === "" ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  return r.namespace ? `${base}/namespaces/${r.namespace}/${r.plural}` : `${base}/${r.plural}`;
}

export interface WatchOptions {
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
  /** In [0, 1): jitter of the restart delays. */
  readonly random?: () => number;
  readonly backoff?: Backoff;
  /**
   * A watch that stayed up this long forgives earlier failures (kube-rs: 120 s; here 20 s, under
   * client-node's fixed 30 s idle timeout, so that the periodic idle end of a quiet watch never
   * counts as a failure).
   */
  readonly quietMs?: number;
  /** List page size (`limit`). */
  readonly pageSize?: number;
  /** The server ends each watch after this long; randomised in [300, 600) s like client-go when absent. */
  readonly timeoutSeconds?: number;
  /** Told of each failure and the delay before the next attempt (for logs and metrics). */
  readonly onError?: (error: unknown, retryInMs: number) => void;
}

type Outcome =
  { readonly kind: "ended" } | { readonly kind: "gone" } | { readonly kind: "error"; error: unknown };

interface Listed<T> {
  readonly items: T[];
  readonly resourceVersion: string;
}

function isGone(e: unknown): boolean {
  const x = e as { code?: unknown; statusCode?: unknown };
  return x?.code === 410 || x?.statusCode === 410;
}

async function listAll<T extends KubeObject>(
  kc: KubeConfig,
  r: ResourceRef,
  pageSize: number,
  signal: AbortSignal | undefined,
): Promise<Listed<T>> {
  const items: T[] = [];
  let resourceVersion: string | undefined;
  let cont: string | undefined;
  do {
    const q = new URLSearchParams({ limit: String(pageSize) });
    if (cont) q.set("continue", cont);
    if (r.labelSelector) q.set("labelSelector", r.labelSelector);
    if (r.fieldSelector) q.set("fieldSelector", r.fieldSelector);
    const page = await kubeJson(kc, "GET", `${collectionPath(r)}?${q}`, { signal });
    const meta = (page.metadata ?? {}) as { resourceVersion?: string; continue?: string };
    // Every page carries the snapshot's version; the first is the one the watch must resume from.
    resourceVersion ??= meta.resourceVersion;
    items.push(...((page.items ?? []) as T[]));
    cont = meta.continue || undefined;
  } while (cont);
  if (!resourceVersion) throw new Error(`list ${collectionPath(r)} carried no resourceVersion`);
  return { items, resourceVersion };
}

interface Line {
  readonly type: string;
  readonly object: KubeObject & { code?: number; reason?: string; message?: string };
}

/**
 * The watch events of `r`, forever (until `signal` aborts or the consumer stops iterating). The first
 * events are a relist (Init, InitApply…, InitDone).
 */
export async function* watchEvents<T extends KubeObject>(
  kc: KubeConfig,
  r: ResourceRef,
  options: WatchOptions = {},
): AsyncGenerator<WatchEvent<T>> {
  const clock = options.clock ?? realClock;
  const random = options.random ?? Math.random;
  const quietMs = options.quietMs ?? 20_000;
  const signal = options.signal;
  const path = collectionPath(r);
  const watch = new Watch(kc);
  let rv: string | undefined;
  let failures = 0;

  while (!signal?.aborted) {
    const started = clock.now();
    let outcome: Outcome = { kind: "ended" };
    if (rv === undefined) {
      try {
        const listed = await listAll<T>(kc, r, options.pageSize ?? 500, signal);
        yield { type: "Init" };
        for (const object of listed.items) yield { type: "InitApply", object };
        yield { type: "InitDone" };
        rv = listed.resourceVersion;
      } catch (e) {
        if (signal?.aborted) return;
        // A continue token older than the history: start the list again.
        outcome = isGone(e) ? { kind: "gone" } : { kind: "error", error: e };
      }
    }
    if (rv !== undefined) {
      const lines: Line[] = [];
      let ended: { error: unknown } | undefined;
      let wake: (() => void) | undefined;
      const onAbort = () => wake?.();
      signal?.addEventListener("abort", onAbort, { once: true });
      const query: Record<string, string | number | boolean> = {
        resourceVersion: rv,
        allowWatchBookmarks: true,
        timeoutSeconds: options.timeoutSeconds ?? 300 + Math.floor(random() * 300),
      };
      if (r.labelSelector) query.labelSelector = r.labelSelector;
      if (r.fieldSelector) query.fieldSelector = r.fieldSelector;
      const request = watch
        .watch(
          path,
          query,
          (type, object) => {
            lines.push({ type, object });
            wake?.();
          },
          (error) => {
            ended = { error };
            wake?.();
          },
        )
        .catch((error: unknown) => {
          // Failing before the request (credentials, kubeconfig) is a failed watch like any other.
          ended = { error };
          wake?.();
          return undefined;
        });
      try {
        for (;;) {
          const line = lines.shift();
          if (line) {
            const { type, object } = line;
            if (type === "ERROR") {
              outcome =
                object.code === 410 ? { kind: "gone" } : { kind: "error", error: statusError(path, object) };
              break;
            }
            if (type === "ADDED" || type === "MODIFIED") yield { type: "Apply", object: object as T };
            else if (type === "DELETED") yield { type: "Delete", object: object as T };
            rv = object.metadata?.resourceVersion || rv;
            continue;
          }
          if (signal?.aborted) return;
          if (ended) {
            const error = (ended as { error: unknown }).error;
            // A client-side idle timeout or a server close is the normal end of a watch.
            const clean = !error || (error as { name?: string }).name === "TimeoutError";
            outcome = clean
              ? { kind: "ended" }
              : isGone(error)
                ? { kind: "gone" }
                : { kind: "error", error: httpError(path, error) };
            break;
          }
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      } finally {
        signal?.removeEventListener("abort", onAbort);
        (await request)?.abort();
      }
    }
    if (signal?.aborted) return;
    if (outcome.kind === "gone") rv = undefined;
    const healthy = clock.now() - started >= quietMs;
    if (outcome.kind === "error") failures = healthy ? 1 : failures + 1;
    else failures = healthy ? 0 : failures + 1;
    const delay =
      failures === 0 ? 0 : jittered(backoffMs(failures, options.backoff ?? WATCH_BACKOFF), random());
    if (outcome.kind === "error") options.onError?.(outcome.error, delay);
    await sleep(clock, delay, signal);
  }
}

function statusError(path: string, status: Line["object"]): KubeHttpError {
  return new KubeHttpError("WATCH", path, status.code ?? 500, {
    reason: status.reason,
    message: status.message,
  });
}

/** client-node's Watch reports a refused watch as an Error with `statusCode`: one shape for callers. */
function httpError(path: string, error: unknown): unknown {
  const status = (error as { statusCode?: number }).statusCode;
  return status === undefined ? error : new KubeHttpError("WATCH", path, status, { message: String(error) });
}
