/**
 * A watcher feeding a store (kube-rs reflector), and the only bridge from watch events to work: a
 * changed object becomes keys to enqueue, never an event for a reconciler to interpret.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { keyOf, StoreWriter, type KubeObject, type Store } from "./store.ts";
import { watchEvents, type ResourceRef, type WatchOptions } from "./watch.ts";

export interface ReflectorOptions<T extends KubeObject> extends Omit<WatchOptions, "signal"> {
  /**
   * The keys a change of `obj` should (re)run: the object's own key by default; e.g. the owning
   * chain's key for its pods. Called with the old and the new version of a changed object.
   */
  readonly keys?: (obj: T) => readonly string[];
  /**
   * Whether a change (before → after; undefined when the object came or went) concerns the reconciler:
   * the store takes every change, only those enqueue. Default: every change does.
   */
  readonly relevant?: (before: T | undefined, after: T | undefined) => boolean;
  /** Receives the keys to enqueue after each applied event; the caller picks the intent. */
  readonly enqueue: (keys: readonly string[]) => void;
}

export interface Reflector<T extends KubeObject> {
  readonly store: Store<T>;
  /** Resolves once the first relist has been swapped in. */
  readonly synced: Promise<void>;
  stop(): Promise<void>;
}

export function startReflector<T extends KubeObject>(
  kc: KubeConfig,
  resource: ResourceRef,
  options: ReflectorOptions<T>,
): Reflector<T> {
  const writer = new StoreWriter<T>();
  const abort = new AbortController();
  const keysOf = options.keys ?? ((obj: T) => [keyOf(obj)]);
  let markSynced: () => void = () => {};
  const synced = new Promise<void>((resolve) => (markSynced = resolve));
  const running = (async () => {
    for await (const event of watchEvents<T>(kc, resource, { ...options, signal: abort.signal })) {
      const keys = new Set<string>();
      for (const change of writer.apply(event)) {
        if (options.relevant && !options.relevant(change.before, change.after)) continue;
        if (change.before) for (const k of keysOf(change.before)) keys.add(k);
        if (change.after) for (const k of keysOf(change.after)) keys.add(k);
      }
      if (event.type === "InitDone") markSynced();
      if (keys.size > 0) options.enqueue([...keys]);
    }
  })();
  return {
    store: writer.store,
    synced,
    async stop() {
      abort.abort();
      await running;
    },
  };
}
