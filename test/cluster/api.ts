/**
 * The API semantics shared by the HTTP layer and the in-process controllers: object metadata,
 * optimistic concurrency, generation, the status subresource, patches, finalizers and deletion.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { admitCreate, admitUpdate, normalize, validateMetadata, validateName } from "./admission.ts";
import { admitCustom, establishedStatus, isCrd, resourceOfCrd, serveCrd, unserveCrd } from "./crd.ts";
import {
  alreadyExists,
  ApiError,
  badRequest,
  conflict,
  invalid,
  notFound,
  STALE,
  type StatusCause,
  type Target,
} from "./errors.ts";
import { serverSideApply } from "./apply.ts";
import { now } from "./clock.ts";
import { equalJson, isObject } from "./json.ts";
import { jsonPatch, mergePatch, strategicMerge } from "./patch.ts";
import { apiVersionOf, typeKey, type KubeObject, type Registry, type ResourceType } from "./resources.ts";
import { fieldMatcher, labelMatcher } from "./selectors.ts";
import type { Store } from "./store.ts";

export type PatchType = "json" | "merge" | "strategic" | "apply";

export interface WriteOptions {
  readonly subresource?: "status";
  /** Strict: unknown fields are a 400; otherwise they are pruned. */
  readonly fieldValidation?: string;
  /** Who writes: required for server-side apply, whose field ownership is per manager. */
  readonly fieldManager?: string;
}

export interface DeleteOptions {
  readonly gracePeriodSeconds?: number;
  readonly propagationPolicy?: "Background" | "Foreground" | "Orphan";
  readonly preconditions?: { uid?: string; resourceVersion?: string };
}

export interface ListOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

export const FOREGROUND = "foregroundDeletion";
export const ORPHAN = "orphan";

function target(type: ResourceType, name: string): Target {
  return { group: type.group, plural: type.plural, kind: type.kind, name };
}

function withoutVolatile(o: KubeObject): KubeObject {
  const { resourceVersion: _rv, ...metadata } = o.metadata;
  return { ...o, metadata };
}

function specPart(o: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, ...rest } = o;
  return rest;
}

/** Kinds whose spec changes are counted in metadata.generation (custom resources, CRDs, pods). */
function hasGeneration(type: ResourceType): boolean {
  return type.custom === true || isCrd(type) || (type.group === "" && type.kind === "Pod");
}

function isNamespace(type: ResourceType): boolean {
  return type.group === "" && type.kind === "Namespace";
}

export class Api {
  readonly store: Store;
  readonly registry: Registry;

  constructor(store: Store, registry: Registry) {
    this.store = store;
    this.registry = registry;
  }

  key(type: ResourceType): string {
    return typeKey(type.group, type.plural);
  }

  typeOf(key: string): ResourceType | undefined {
    return this.registry.all().find((t) => this.key(t) === key);
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const found = this.store.get(this.key(type), type.namespaced ? namespace : undefined, name);
    if (!found) throw notFound(target(type, name));
    return found;
  }

  list(type: ResourceType, namespace: string | undefined, options: ListOptions = {}): KubeObject[] {
    const labels = labelMatcher(options.labelSelector);
    const fields = fieldMatcher(options.fieldSelector);
    return this.store
      .list(this.key(type), type.namespaced ? namespace : undefined)
      .filter((o) => labels(o) && fields(o));
  }

  create(
    type: ResourceType,
    namespace: string | undefined,
    body: KubeObject,
    options: WriteOptions = {},
  ): KubeObject {
    if (!isObject(body) || !isObject(body.metadata))
      throw badRequest("the body must be an object with metadata");
    const metadata = { ...body.metadata };
    if (type.namespaced) {
      if (metadata.namespace && namespace && metadata.namespace !== namespace) {
        throw badRequest(
          "the namespace of the provided object does not match the namespace sent on the request",
        );
      }
      metadata.namespace = namespace ?? metadata.namespace;
      if (!metadata.namespace) throw badRequest("a namespaced object needs a namespace");
      const ns = this.store.get(typeKey("", "namespaces"), undefined, metadata.namespace);
      if (!ns)
        throw notFound({ group: "", plural: "namespaces", kind: "Namespace", name: metadata.namespace });
      if (ns.metadata.deletionTimestamp) {
        throw new ApiError(
          403,
          "Forbidden",
          `${type.plural} "${metadata.name ?? ""}" is forbidden: unable to create new content in namespace ${metadata.namespace} because it is being terminated`,
        );
      }
    } else {
      delete metadata.namespace;
    }
    if (metadata.resourceVersion) {
      throw new ApiError(500, "InternalError", "resourceVersion should not be set on objects to be created");
    }
    if (!metadata.name && metadata.generateName)
      metadata.name = metadata.generateName + randomBytes(3).toString("hex").slice(0, 5);
    const nameCauses = [...validateName(metadata.name), ...validateMetadata(type, metadata)];
    if (nameCauses.length > 0) throw invalid(target(type, metadata.name ?? ""), nameCauses);
    const name = metadata.name ?? "";
    if (this.store.get(this.key(type), metadata.namespace, name)) throw alreadyExists(target(type, name));
    delete metadata.deletionTimestamp;
    delete metadata.deletionGracePeriodSeconds;
    let object: KubeObject = {
      ...body,
      apiVersion: apiVersionOf(type.group, type.versions[0]),
      kind: type.kind,
      metadata: {
        ...metadata,
        uid: randomUUID(),
        creationTimestamp: now(),
        ...(hasGeneration(type) ? { generation: 1 } : {}),
      },
    };
    object = this.#admit(type, object, undefined, options);
    if (isCrd(type)) {
      object = { ...object, status: establishedStatus(object, now()) };
    }
    const stored = this.store.put(this.key(type), object);
    if (isCrd(type)) serveCrd(this.registry, stored);
    return stored;
  }

  update(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: KubeObject,
    options: WriteOptions = {},
  ): KubeObject {
    if (!isObject(body) || !isObject(body.metadata))
      throw badRequest("the body must be an object with metadata");
    if (body.metadata.name !== undefined && body.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${String(body.metadata.name)}) does not match the name on the URL (${name})`,
      );
    }
    const old = this.get(type, namespace, name);
    const rv = body.metadata.resourceVersion;
    if (rv !== undefined && rv !== "" && rv !== old.metadata.resourceVersion) {
      throw conflict(target(type, name), STALE);
    }
    const uid = body.metadata.uid;
    if (uid && uid !== old.metadata.uid) {
      const why = `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${old.metadata.uid}`;
      throw conflict(target(type, name), why);
    }
    return this.#write(type, old, body, options);
  }

  patch(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patchType: PatchType,
    patch: unknown,
    options: WriteOptions = {},
  ): KubeObject {
    const existing = this.store.get(this.key(type), type.namespaced ? namespace : undefined, name);
    if (!existing) {
      if (patchType === "apply" && isObject(patch)) {
        const config = { ...(patch as KubeObject), metadata: { ...(patch as KubeObject).metadata, name } };
        return this.create(
          type,
          namespace,
          serverSideApply(undefined, config, this.#manager(options), mergePatch),
          options,
        );
      }
      throw notFound(target(type, name));
    }
    let patched: unknown;
    switch (patchType) {
      case "json":
        patched = jsonPatch(existing, patch);
        break;
      case "merge":
        patched = mergePatch(existing, patch);
        break;
      case "strategic":
        if (type.custom) {
          throw new ApiError(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
          );
        }
        patched = strategicMerge(existing, patch);
        break;
      case "apply":
        if (!isObject(patch)) throw badRequest("an apply patch must be an object");
        patched = serverSideApply(
          existing,
          patch as KubeObject,
          this.#manager(options),
          type.custom ? mergePatch : strategicMerge,
        );
        break;
    }
    if (!isObject(patched) || !isObject(patched.metadata))
      throw badRequest("the patch removed the object's metadata");
    const result = patched as KubeObject;
    const rv = isObject(patch) && isObject(patch.metadata) ? patch.metadata.resourceVersion : undefined;
    if (rv !== undefined && rv !== existing.metadata.resourceVersion)
      throw conflict(target(type, name), STALE);
    return this.#write(type, existing, result, options);
  }

  delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): KubeObject {
    const old = this.get(type, namespace, name);
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== old.metadata.uid) {
      throw conflict(
        target(type, name),
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid}`,
      );
    }
    if (pre?.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion) {
      throw conflict(
        target(type, name),
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`,
      );
    }
    const finalizers = [...(old.metadata.finalizers ?? [])];
    if (options.propagationPolicy === "Foreground" && !finalizers.includes(FOREGROUND))
      finalizers.push(FOREGROUND);
    if (options.propagationPolicy === "Orphan" && !finalizers.includes(ORPHAN)) finalizers.push(ORPHAN);
    const grace = this.#gracePeriod(type, old, options.gracePeriodSeconds);
    if (finalizers.length === 0 && grace === 0 && !isNamespace(type)) return this.remove(type, old);
    const metadata = { ...old.metadata, finalizers: finalizers.length > 0 ? finalizers : undefined };
    if (!metadata.finalizers) delete metadata.finalizers;
    const first = !old.metadata.deletionTimestamp;
    const shortened = grace < (old.metadata.deletionGracePeriodSeconds ?? Infinity);
    if (first || shortened) {
      metadata.deletionTimestamp = new Date(Date.now() + grace * 1000).toISOString().replace(/\.\d+Z$/, "Z");
      metadata.deletionGracePeriodSeconds = grace;
    }
    if (first && hasGeneration(type)) metadata.generation = (old.metadata.generation ?? 1) + 1;
    if (equalJson(metadata, old.metadata)) return old;
    const status = isNamespace(type) ? { ...(old.status as object), phase: "Terminating" } : old.status;
    const stored = this.store.put(this.key(type), { ...old, metadata, status });
    if (isCrd(type)) serveCrd(this.registry, stored);
    return stored;
  }

  deleteCollection(
    type: ResourceType,
    namespace: string | undefined,
    list: ListOptions,
    options: DeleteOptions = {},
  ): KubeObject[] {
    return this.list(type, namespace, list).map((o) =>
      this.delete(type, o.metadata.namespace, o.metadata.name ?? "", options),
    );
  }

  /** Removes an object from the store now, whatever its finalizers (the end of every deletion). */
  remove(type: ResourceType, object: KubeObject): KubeObject {
    const removed = this.store.remove(this.key(type), object);
    if (isCrd(type)) unserveCrd(this.store, this.registry, object);
    return removed;
  }

  #manager(options: WriteOptions): string {
    if (!options.fieldManager)
      throw badRequest("PATCH, application/apply-patch+yaml requests require fieldManager");
    return options.fieldManager;
  }

  #gracePeriod(type: ResourceType, pod: KubeObject, requested: number | undefined): number {
    if (type.group !== "" || type.kind !== "Pod") return 0;
    const spec = pod.spec as Record<string, unknown>;
    const phase = (pod.status as Record<string, unknown> | undefined)?.phase;
    if (!spec.nodeName || phase === "Succeeded" || phase === "Failed") return 0;
    return Math.max(0, requested ?? Number(spec.terminationGracePeriodSeconds ?? 30));
  }

  #write(type: ResourceType, old: KubeObject, body: KubeObject, options: WriteOptions): KubeObject {
    let next: KubeObject;
    if (options.subresource === "status") {
      const managedFields = body.metadata.managedFields ?? old.metadata.managedFields;
      next = { ...old, metadata: { ...old.metadata, managedFields }, status: body.status };
      if (managedFields === undefined) delete next.metadata.managedFields;
    } else {
      next = { ...body, metadata: { ...body.metadata } };
      if (type.statusSubresource) {
        if (old.status === undefined) delete next.status;
        else next.status = old.status;
      }
      const m = next.metadata;
      for (const k of [
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "namespace",
        "name",
        "generation",
      ]) {
        if (old.metadata[k] === undefined) delete m[k];
        else m[k] = old.metadata[k];
      }
      const added = (m.finalizers ?? []).filter((f) => !(old.metadata.finalizers ?? []).includes(f));
      if (old.metadata.deletionTimestamp && added.length > 0) {
        throw invalid(target(type, old.metadata.name ?? ""), [
          {
            reason: "FieldValueForbidden",
            field: "metadata.finalizers",
            message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
          },
        ]);
      }
      if (m.finalizers?.length === 0) delete m.finalizers;
      const causes = [...validateMetadata(type, m), ...admitUpdate(type, next, old)];
      if (causes.length > 0) throw invalid(target(type, old.metadata.name ?? ""), causes);
    }
    next = { ...next, apiVersion: old.apiVersion, kind: old.kind };
    next = this.#admit(type, next, old, options);
    if (hasGeneration(type) && !equalJson(specPart(old), specPart(next))) {
      next = { ...next, metadata: { ...next.metadata, generation: (old.metadata.generation ?? 1) + 1 } };
    }
    if (equalJson(withoutVolatile(old), withoutVolatile(next))) return old;
    const finished =
      !next.metadata.finalizers?.length &&
      this.#gracePeriod(type, next, next.metadata.deletionGracePeriodSeconds) === 0;
    if (next.metadata.deletionTimestamp && finished && !isNamespace(type)) {
      return this.remove(type, next);
    }
    const stored = this.store.put(this.key(type), next);
    if (isCrd(type)) serveCrd(this.registry, stored);
    return stored;
  }

  #admit(
    type: ResourceType,
    object: KubeObject,
    old: KubeObject | undefined,
    options: WriteOptions,
  ): KubeObject {
    let causes: StatusCause[];
    let admitted = normalize(type, object);
    if (type.schema) {
      const result = admitCustom(type, object, old);
      if (options.fieldValidation === "Strict" && result.unknown.length > 0) {
        throw badRequest(
          `strict decoding error: ${result.unknown.map((p) => `unknown field "${p}"`).join(", ")}`,
        );
      }
      admitted = result.object;
      causes = result.causes;
    } else if (!old) {
      const result = admitCreate(type, admitted, (name) => {
        const value = this.store.get("scheduling.k8s.io/priorityclasses", undefined, name)?.value;
        return typeof value === "number" ? value : undefined;
      });
      admitted = result.object;
      causes = result.causes;
    } else {
      causes = [];
    }
    if (isCrd(type)) {
      const crd = resourceOfCrd(admitted);
      causes = [...causes, ...crd.causes];
    }
    if (causes.length > 0) throw invalid(target(type, object.metadata.name ?? ""), causes);
    return admitted;
  }
}
