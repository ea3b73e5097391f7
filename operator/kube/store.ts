/**
 * The reflector's store (kube-rs reflector/store.rs): a read-only view for reconcilers and the one
 * writer that applies watch events to it. A relist fills a buffer and swaps it in with a single
 * assignment, so readers see either the old state or the new one, never a half-filled map.
 */

/** The parts of any Kubernetes object the shells look at. */
export interface KubeObject {
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly resourceVersion?: string;
  };
}

/** `namespace/name`, or `name` for cluster-scoped objects (client-go's MetaNamespaceKeyFunc). */
export function keyOf(obj: KubeObject): string {
  const name = obj.metadata?.name;
  if (!name) throw new Error("an object without metadata.name has no key");
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${name}` : name;
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const slash = key.indexOf("/");
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/**
 * What the watcher yields (kube-rs watcher::Event): a relist is Init, one InitApply per object, then
 * InitDone; between relists, Apply and Delete follow the watch.
 */
export type WatchEvent<T extends KubeObject> =
  | { readonly type: "Init" }
  | { readonly type: "InitApply"; readonly object: T }
  | { readonly type: "InitDone" }
  | { readonly type: "Apply"; readonly object: T }
  | { readonly type: "Delete"; readonly object: T };

export interface Store<T extends KubeObject> {
  get(key: string): T | undefined;
  list(): T[];
  keys(): string[];
  readonly size: number;
  /** True once the first relist has been swapped in: before that an empty store means nothing. */
  readonly synced: boolean;
}

/** A change the writer made: the object before and after (undefined for absent). */
export interface Change<T> {
  readonly key: string;
  readonly before: T | undefined;
  readonly after: T | undefined;
}

/** The single writer of a store. `store` is the read-only view to hand out. */
export class StoreWriter<T extends KubeObject> {
  /** Readers reach the map only through this holder, so replacing `objects` swaps what they all see. */
  readonly #state = { objects: new Map<string, T>(), synced: false };
  #buffer: Map<string, T> | undefined;
  readonly store: Store<T>;

  constructor() {
    const state = this.#state;
    this.store = {
      get: (key) => state.objects.get(key),
      list: () => [...state.objects.values()],
      keys: () => [...state.objects.keys()],
      get size() {
        return state.objects.size;
      },
      get synced() {
        return state.synced;
      },
    };
  }

  /**
   * Applies one event and returns what changed for readers. A relist reports only objects that were
   * added, removed or have another resourceVersion than before, so a relist after a dropped watch
   * re-triggers what was missed and nothing else.
   */
  apply(event: WatchEvent<T>): Change<T>[] {
    switch (event.type) {
      case "Init":
        this.#buffer = new Map();
        return [];
      case "InitApply":
        if (!this.#buffer) throw new Error("InitApply outside a relist");
        this.#buffer.set(keyOf(event.object), event.object);
        return [];
      case "InitDone": {
        if (!this.#buffer) throw new Error("InitDone outside a relist");
        const before = this.#state.objects;
        const after = this.#buffer;
        this.#state.objects = after;
        this.#buffer = undefined;
        this.#state.synced = true;
        return diff(before, after);
      }
      case "Apply": {
        const key = keyOf(event.object);
        const before = this.#state.objects.get(key);
        this.#state.objects.set(key, event.object);
        return sameVersion(before, event.object) ? [] : [{ key, before, after: event.object }];
      }
      case "Delete": {
        const key = keyOf(event.object);
        const before = this.#state.objects.get(key);
        this.#state.objects.delete(key);
        return [{ key, before: before ?? event.object, after: undefined }];
      }
    }
  }
}

function sameVersion(a: KubeObject | undefined, b: KubeObject | undefined): boolean {
  const rv = a?.metadata?.resourceVersion;
  return a !== undefined && b !== undefined && rv !== undefined && rv === b.metadata?.resourceVersion;
}

function diff<T extends KubeObject>(before: Map<string, T>, after: Map<string, T>): Change<T>[] {
  const changes: Change<T>[] = [];
  for (const [key, obj] of after) {
    const old = before.get(key);
    if (!sameVersion(old, obj)) changes.push({ key, before: old, after: obj });
  }
  for (const [key, old] of before) if (!after.has(key)) changes.push({ key, before: old, after: undefined });
  return changes;
}
