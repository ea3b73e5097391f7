/**
 * The garbage collector and namespace controller: ownerReferences cascading deletion
 * (background, foreground, orphan) and the emptying of terminating namespaces.
 * It runs after the write that triggered it, as the real controllers do.
 */
import { FOREGROUND, ORPHAN, type Api } from "./api.ts";
import { ApiError } from "./errors.ts";
import type { KubeObject, OwnerReference } from "./resources.ts";
import type { StoreEvent } from "./store.ts";

interface Ref {
  readonly key: string;
  readonly namespace: string | undefined;
  readonly name: string;
}

function refId(r: Ref): string {
  return `${r.key}\u0000${r.namespace ?? ""}\u0000${r.name}`;
}

function ignoreNotFound(e: unknown): void {
  if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) throw e;
}

export class GarbageCollector {
  readonly #api: Api;
  /** owner uid → dependents */
  readonly #dependents = new Map<string, Map<string, Ref>>();
  /** dependent → its owner uids */
  readonly #owners = new Map<string, string[]>();
  /** uid → where the live object is */
  readonly #live = new Map<string, Ref>();
  readonly #pendingOwners = new Set<string>();
  readonly #pendingNamespaces = new Set<string>();
  #scheduled: NodeJS.Immediate | undefined;
  readonly #unsubscribe: () => void;

  constructor(api: Api) {
    this.#api = api;
    this.#unsubscribe = api.store.subscribe((e) => this.#observe(e));
  }

  stop(): void {
    this.#unsubscribe();
    if (this.#scheduled) clearImmediate(this.#scheduled);
  }

  #observe(e: StoreEvent): void {
    const m = e.object.metadata;
    const ref: Ref = { key: e.key, namespace: m.namespace, name: m.name ?? "" };
    const id = refId(ref);
    const uid = m.uid ?? "";
    for (const owner of this.#owners.get(id) ?? []) this.#dependents.get(owner)?.delete(id);
    this.#owners.delete(id);
    if (e.type === "DELETED") {
      this.#live.delete(uid);
      this.#pendingOwners.add(uid);
      for (const o of m.ownerReferences ?? []) this.#pendingOwners.add(o.uid);
      if (m.namespace) this.#pendingNamespaces.add(m.namespace);
    } else {
      this.#live.set(uid, ref);
      const owners = (m.ownerReferences ?? []).map((o) => o.uid);
      if (owners.length > 0) this.#owners.set(id, owners);
      for (const owner of owners) {
        let deps = this.#dependents.get(owner);
        if (!deps) this.#dependents.set(owner, (deps = new Map()));
        deps.set(id, ref);
        if (!this.#live.has(owner)) this.#pendingOwners.add(owner);
      }
      if (m.deletionTimestamp) {
        this.#pendingOwners.add(uid);
        if (e.key === "/namespaces") this.#pendingNamespaces.add(m.name ?? "");
      }
    }
    if (this.#pendingOwners.size + this.#pendingNamespaces.size > 0 && !this.#scheduled) {
      this.#scheduled = setImmediate(() => this.#run());
    }
  }

  #get(ref: Ref): KubeObject | undefined {
    return this.#api.store.get(ref.key, ref.namespace, ref.name);
  }

  #run(): void {
    this.#scheduled = undefined;
    const owners = [...this.#pendingOwners];
    const namespaces = [...this.#pendingNamespaces];
    this.#pendingOwners.clear();
    this.#pendingNamespaces.clear();
    for (const uid of owners) this.#collect(uid);
    for (const ns of namespaces) this.#emptyNamespace(ns);
  }

  #deleteRef(ref: Ref): void {
    const type = this.#api.typeOf(ref.key);
    if (!type) return;
    try {
      this.#api.delete(type, ref.namespace, ref.name, { propagationPolicy: "Background" });
    } catch (e) {
      ignoreNotFound(e);
    }
  }

  #setOwners(ref: Ref, object: KubeObject, owners: OwnerReference[]): void {
    const type = this.#api.typeOf(ref.key);
    if (!type) return;
    const metadata = { ...object.metadata, ownerReferences: owners.length > 0 ? owners : undefined };
    try {
      this.#api.update(type, ref.namespace, ref.name, { ...object, metadata });
    } catch (e) {
      ignoreNotFound(e);
    }
  }

  #dropFinalizer(ref: Ref, object: KubeObject, finalizer: string): void {
    const type = this.#api.typeOf(ref.key);
    if (!type) return;
    const finalizers = (object.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    try {
      this.#api.update(type, ref.namespace, ref.name, {
        ...object,
        metadata: { ...object.metadata, finalizers },
      });
    } catch (e) {
      ignoreNotFound(e);
    }
  }

  #collect(uid: string): void {
    const deps = [...(this.#dependents.get(uid)?.values() ?? [])];
    const ownerRef = this.#live.get(uid);
    const owner = ownerRef && this.#get(ownerRef);
    if (!owner || !ownerRef) {
      for (const dep of deps) {
        const object = this.#get(dep);
        if (!object) continue;
        const all = object.metadata.ownerReferences ?? [];
        const alive = all.filter((o) => this.#live.has(o.uid));
        if (alive.length === 0) this.#deleteRef(dep);
        else if (alive.length < all.length) this.#setOwners(dep, object, alive);
      }
      return;
    }
    const finalizers = owner.metadata.finalizers ?? [];
    if (!owner.metadata.deletionTimestamp) return;
    if (finalizers.includes(ORPHAN)) {
      for (const dep of deps) {
        const object = this.#get(dep);
        if (object)
          this.#setOwners(
            dep,
            object,
            (object.metadata.ownerReferences ?? []).filter((o) => o.uid !== uid),
          );
      }
      const latest = this.#get(ownerRef);
      if (latest) this.#dropFinalizer(ownerRef, latest, ORPHAN);
    } else if (finalizers.includes(FOREGROUND)) {
      for (const dep of deps) {
        const object = this.#get(dep);
        if (object && !object.metadata.deletionTimestamp) this.#deleteRef(dep);
      }
      const blocking = [...(this.#dependents.get(uid)?.values() ?? [])].filter((d) => this.#get(d));
      if (blocking.length === 0) this.#dropFinalizer(ownerRef, owner, FOREGROUND);
    }
  }

  #emptyNamespace(name: string): void {
    const namespaces = this.#api.registry.get("", "v1", "namespaces");
    const ns = namespaces && this.#api.store.get("/namespaces", undefined, name);
    if (!namespaces || !ns?.metadata.deletionTimestamp) return;
    let remaining = 0;
    for (const type of this.#api.registry.all().filter((t) => t.namespaced)) {
      for (const o of this.#api.store.list(this.#api.key(type), name)) {
        remaining++;
        if (!o.metadata.deletionTimestamp)
          this.#deleteRef({ key: this.#api.key(type), namespace: name, name: o.metadata.name ?? "" });
      }
    }
    if (remaining === 0) this.#api.remove(namespaces, ns);
  }
}
