/**
 * `.submit()`: a flow's ImageChain created on a cluster, followed to Succeeded or Failed.
 *
 * Following is a watch of that one object (metadata.name field selector) through the operator's own
 * watcher, which resumes from the last resourceVersion, relists on 410 Gone and retries failures with
 * backoff: progress arrives as the operator writes it, with one idle connection, and polling would
 * either lag or load the API server for as long as a chain runs (hours for a large one).
 */
import { ApiException, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { isDeepStrictEqual } from "node:util";
import { GROUP, PLURAL, VERSION } from "../spec/crd.ts";
import type { ImageChainStatus } from "../spec/status.ts";
import { validateSpec } from "../spec/validate.ts";
import { watchEvents } from "../kube/watch.ts";
import type { ImageChainManifest } from "./manifest.ts";

export interface SubmitOptions {
  /** A kubeconfig file or a loaded KubeConfig; default the usual places (KUBECONFIG, ~/.kube/config, in-cluster). */
  readonly kubeconfig?: string | KubeConfig;
  /** Default the flow's namespace, else the kubeconfig context's, else `default`. */
  readonly namespace?: string;
  /** metadata.name; default the flow's. */
  readonly name?: string;
  readonly onEvent?: (e: SubmitEvent) => void;
  /** Stops waiting (rejects with the signal's reason); the chain keeps running on the cluster. */
  readonly signal?: AbortSignal;
  /** Stops waiting after this long (rejects with a SubmitError); the chain keeps running on the cluster. */
  readonly timeoutMs?: number;
}

export type SubmitEvent =
  /** `created`: a new ImageChain; `attached`: one with the same spec already existed. */
  | {
      readonly type: "created" | "attached";
      readonly name: string;
      readonly namespace: string;
      readonly uid: string;
    }
  | { readonly type: "phase"; readonly phase: string }
  | {
      readonly type: "progress";
      readonly done: number;
      readonly total: number;
      readonly running: number;
      readonly failed: number;
    };

export interface SubmitSummary {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly phase: "Succeeded";
  /** Tasks (tiles of every stage) of the chain. */
  readonly tasks: number;
  /** As the status lists them; empty when the operator does not record them. */
  readonly outputs: readonly { readonly uri: string; readonly bytes?: number }[];
  readonly startTime?: string;
  readonly completionTime?: string;
}

/** A submitted chain that failed, could not be created, went away, or was not done in `timeoutMs`. */
export class SubmitError extends Error {
  override readonly name = "SubmitError";
  /** `namespace/name`. */
  readonly chain: string;
  /** The Failed condition's reason (PermanentError, InvalidSpec…), else AlreadyExists, Deleted, Timeout… */
  readonly reason: string;
  constructor(chain: string, reason: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.chain = chain;
    this.reason = reason;
  }
}

interface ChainObject {
  readonly metadata: { name: string; namespace?: string; uid: string; generation?: number };
  readonly spec?: unknown;
  readonly status?: ImageChainStatus;
}

export async function submitManifest(
  manifest: ImageChainManifest,
  options: SubmitOptions = {},
): Promise<SubmitSummary> {
  const kc = kubeConfig(options.kubeconfig);
  const name = options.name ?? manifest.metadata.name;
  const namespace =
    options.namespace ??
    manifest.metadata.namespace ??
    kc.getContextObject(kc.getCurrentContext())?.namespace ??
    "default";
  const chain = `${namespace}/${name}`;
  const emit = options.onEvent ?? (() => undefined);
  const body = { ...manifest, metadata: { ...manifest.metadata, name, namespace } };

  const stop = new AbortController();
  const timer =
    options.timeoutMs === undefined ? undefined : setTimeout(() => stop.abort(), options.timeoutMs);
  const onAbort = () => stop.abort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    options.signal?.throwIfAborted();
    const { object, created } = await createOrAttach(kc, body, chain);
    const uid = object.metadata.uid;
    emit({ type: created ? "created" : "attached", name, namespace, uid });
    const follow = new Follower(chain, uid, emit);
    const first = follow.see(object);
    if (first) return first;
    const events = watchEvents<ChainObject & { metadata: { resourceVersion?: string } }>(
      kc,
      { group: GROUP, version: VERSION, plural: PLURAL, namespace, fieldSelector: `metadata.name=${name}` },
      { signal: stop.signal },
    );
    for await (const e of events) {
      if (e.type === "Apply" || e.type === "InitApply") {
        const done = follow.see(e.object);
        if (done) return done;
      } else if (e.type === "Delete" && e.object.metadata.uid === uid) {
        throw new SubmitError(chain, "Deleted", `imagechain ${chain} was deleted before it finished`);
      }
    }
    options.signal?.throwIfAborted();
    throw new SubmitError(
      chain,
      "Timeout",
      `imagechain ${chain} did not finish within ${options.timeoutMs} ms (it keeps running on the cluster)`,
    );
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
    stop.abort();
  }
}

function kubeConfig(given: string | KubeConfig | undefined): KubeConfig {
  if (given instanceof KubeConfig) return given;
  const kc = new KubeConfig();
  if (given === undefined) kc.loadFromDefault();
  else kc.loadFromFile(given);
  return kc;
}

/** Creates the chain; one that exists with the same spec (defaults filled in on both sides) is attached to. */
async function createOrAttach(
  kc: KubeConfig,
  body: ImageChainManifest & { metadata: { name: string; namespace: string } },
  chain: string,
): Promise<{ object: ChainObject; created: boolean }> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const { name, namespace } = body.metadata;
  const ref = { group: GROUP, version: VERSION, plural: PLURAL, namespace };
  try {
    return {
      object: (await api.createNamespacedCustomObject({ ...ref, body })) as ChainObject,
      created: true,
    };
  } catch (e) {
    if (!(e instanceof ApiException) || (e.code !== 409 && e.code !== 404)) {
      throw new SubmitError(chain, "CreateFailed", `imagechain ${chain}: create failed: ${String(e)}`, {
        cause: e,
      });
    }
    if (e.code === 404) {
      throw new SubmitError(
        chain,
        "NoCRD",
        `imagechain ${chain}: the cluster has no ImageChain resource (kubectl apply -f crds/) or no namespace ${namespace}`,
        { cause: e },
      );
    }
  }
  const existing = (await api.getNamespacedCustomObject({ ...ref, name })) as ChainObject;
  if (!sameSpec(existing.spec, body.spec)) {
    throw new SubmitError(
      chain,
      "AlreadyExists",
      `imagechain ${chain} already exists with a different spec: delete it or submit under another name`,
    );
  }
  return { object: existing, created: false };
}

function sameSpec(a: unknown, b: unknown): boolean {
  const [x, y] = [validateSpec(a), validateSpec(b)];
  return x.ok && y.ok && isDeepStrictEqual(x.value, y.value);
}

/** Turns each sighting of the chain into events, and a finished one into the summary or a SubmitError. */
class Follower {
  readonly #chain: string;
  readonly #uid: string;
  readonly #emit: (e: SubmitEvent) => void;
  #phase = "";
  #progress = "";

  constructor(chain: string, uid: string, emit: (e: SubmitEvent) => void) {
    this.#chain = chain;
    this.#uid = uid;
    this.#emit = emit;
  }

  see(object: ChainObject): SubmitSummary | undefined {
    const { metadata, status } = object;
    if (metadata.uid !== this.#uid) {
      throw new SubmitError(this.#chain, "Deleted", `imagechain ${this.#chain} was deleted and made again`);
    }
    // A status from before the current generation says nothing yet about this spec.
    if (!status || (status.observedGeneration ?? 0) < (metadata.generation ?? 0)) return undefined;
    const tiles = status.tiles;
    if (tiles) {
      const key = `${tiles.succeeded}/${tiles.total}/${tiles.running}/${tiles.failed ?? 0}`;
      if (key !== this.#progress) {
        this.#progress = key;
        this.#emit({
          type: "progress",
          done: tiles.succeeded,
          total: tiles.total,
          running: tiles.running,
          failed: tiles.failed ?? 0,
        });
      }
    }
    if (status.phase && status.phase !== this.#phase) {
      this.#phase = status.phase;
      this.#emit({ type: "phase", phase: status.phase });
    }
    if (status.phase === "Failed") {
      const failed = status.conditions?.find((c) => c.type === "Failed" && c.status === "True");
      throw new SubmitError(
        this.#chain,
        failed?.reason ?? "Failed",
        `imagechain ${this.#chain} failed: ${failed?.message ?? "(no Failed condition)"}`,
      );
    }
    if (status.phase !== "Succeeded") return undefined;
    return {
      name: metadata.name,
      namespace: metadata.namespace ?? "",
      uid: this.#uid,
      phase: "Succeeded",
      tasks: tiles?.total ?? 0,
      outputs: status.outputs ?? [],
      ...(status.startTime ? { startTime: status.startTime } : {}),
      ...(status.completionTime ? { completionTime: status.completionTime } : {}),
    };
  }
}
