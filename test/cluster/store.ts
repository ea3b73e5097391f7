/**
 * The in-memory object store: one global, monotonic resourceVersion over every resource type,
 * and a bounded event history that watches resume from. Stored objects are never mutated:
 * writers put new objects, so readers may hold on to what they got.
 */
import type { KubeObject } from "./resources.ts";

export type EventType = "ADDED" | "MODIFIED" | "DELETED";

export interface StoreEvent {
  readonly type: EventType;
  /** typeKey(group, plural) of the object. */
  readonly key: string;
  readonly object: KubeObject;
  readonly rv: number;
  /** The object before this event, for MODIFIED: watches with selectors need it. */
  readonly previous?: KubeObject;
}

export type Listener = (event: StoreEvent) => void;

function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ""}/${name}`;
}

export class Store {
  #rv = 1;
  /** Events with rv > #compacted are in #history; a watch from an older rv has lost events. */
  #compacted = 1;
  #history: StoreEvent[] = [];
  readonly #historyLimit: number;
  readonly #objects = new Map<string, Map<string, KubeObject>>();
  readonly #listeners = new Set<Listener>();

  constructor(historyLimit = 10_000) {
    this.#historyLimit = historyLimit;
  }

  get resourceVersion(): number {
    return this.#rv;
  }

  get oldestResumable(): number {
    return this.#compacted;
  }

  get(key: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.#objects.get(key)?.get(objectKey(namespace, name));
  }

  list(key: string, namespace?: string): KubeObject[] {
    const all = this.#objects.get(key);
    if (!all) return [];
    const items = [...all.values()];
    return namespace === undefined ? items : items.filter((o) => o.metadata.namespace === namespace);
  }

  /** Stores `object` under a fresh resourceVersion and returns the stored copy. */
  put(key: string, object: KubeObject): KubeObject {
    const rv = ++this.#rv;
    const stored = { ...object, metadata: { ...object.metadata, resourceVersion: String(rv) } };
    let objects = this.#objects.get(key);
    if (!objects) {
      objects = new Map();
      this.#objects.set(key, objects);
    }
    const id = objectKey(stored.metadata.namespace, stored.metadata.name ?? "");
    const previous = objects.get(id);
    objects.set(id, stored);
    this.#record({ type: previous ? "MODIFIED" : "ADDED", key, object: stored, rv, previous });
    return stored;
  }

  remove(key: string, object: KubeObject): KubeObject {
    const rv = ++this.#rv;
    const removed = { ...object, metadata: { ...object.metadata, resourceVersion: String(rv) } };
    this.#objects.get(key)?.delete(objectKey(object.metadata.namespace, object.metadata.name ?? ""));
    this.#record({ type: "DELETED", key, object: removed, rv });
    return removed;
  }

  /** Events after `rv`, or undefined when some of them were compacted away. */
  since(rv: number): StoreEvent[] | undefined {
    if (rv < this.#compacted) return undefined;
    let lo = 0;
    let hi = this.#history.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#history[mid].rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    return this.#history.slice(lo);
  }

  /** Forgets all history: every watch resuming from an older resourceVersion gets 410 Expired. */
  compact(): void {
    this.#history = [];
    this.#compacted = this.#rv;
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #record(event: StoreEvent): void {
    this.#history.push(event);
    if (this.#history.length > this.#historyLimit * 2) {
      const dropped = this.#history.length - this.#historyLimit;
      this.#compacted = this.#history[dropped - 1].rv;
      this.#history = this.#history.slice(dropped);
    }
    for (const listener of this.#listeners) listener(event);
  }
}
