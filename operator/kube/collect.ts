/**
 * Garbage collection acts: lane claims deleted, the scratch finalizer added and removed, and a deleted
 * chain taken apart (its pods first, so that none writes to shared scratch after it was emptied; then the
 * scratch; then the finalizer, after which owner references take the claims and the ConfigMap).
 */
import type { KubeConfig } from "@kubernetes/client-node";
import type { S3Options } from "../../worker/io/s3.ts";
import { KubeHttpError, kubeJson, kubeRequest } from "./kube-http.ts";
import { SCRATCH_FINALIZER } from "./gc.ts";
import { KIND, LABEL, API_VERSION, type ChainMeta } from "./meta.ts";
import { removeSharedScratch } from "./shared-scratch.ts";
import type { KubeObject, Store } from "./store.ts";

/** The fields of a chain the collector reads and writes back. */
export interface CollectedChain extends KubeObject {
  readonly metadata?: KubeObject["metadata"] & {
    readonly uid?: string;
    readonly deletionTimestamp?: string;
    readonly finalizers?: readonly string[];
  };
}

interface LabelledObject extends KubeObject {
  readonly metadata?: KubeObject["metadata"] & {
    readonly labels?: Record<string, string>;
    readonly deletionTimestamp?: string;
  };
}

const GROUP_PATH = "/apis/imagechain.io/v1alpha1";

export function hasScratchFinalizer(chain: CollectedChain): boolean {
  return chain.metadata?.finalizers?.includes(SCRATCH_FINALIZER) ?? false;
}

/** Writes the chain's finalizers (the resourceVersion read is the precondition: a stale read gets 409). */
export async function putFinalizers(kc: KubeConfig, chain: CollectedChain, finalizers: readonly string[]) {
  const { namespace, name } = chain.metadata!;
  await kubeJson(kc, "PUT", `${GROUP_PATH}/namespaces/${namespace}/imagechains/${name}`, {
    body: { ...chain, metadata: { ...chain.metadata, finalizers } },
  });
}

export async function dropScratchFinalizer(kc: KubeConfig, chain: CollectedChain): Promise<void> {
  const rest = (chain.metadata?.finalizers ?? []).filter((f) => f !== SCRATCH_FINALIZER);
  await putFinalizers(kc, chain, rest);
}

async function deleteObject(kc: KubeConfig, path: string): Promise<void> {
  const res = await kubeRequest(kc, "DELETE", path);
  if (res.status !== 404 && (res.status < 200 || res.status > 299))
    throw new KubeHttpError("DELETE", path, res.status, res.body);
}

/** Deletes the chain's lane claims of the lanes `gone` says may go; claims already terminating are left. */
export async function deleteLaneClaims(
  kc: KubeConfig,
  claims: Store<KubeObject>,
  chain: ChainMeta,
  gone: (lane: number) => boolean,
): Promise<number> {
  let deleted = 0;
  for (const c of claims.list() as LabelledObject[]) {
    const m = c.metadata;
    if (m?.namespace !== chain.namespace || m.labels?.[LABEL.chainUid] !== chain.uid || m.deletionTimestamp)
      continue;
    if (!gone(Number(m.labels[LABEL.lane]))) continue;
    await deleteObject(kc, `/api/v1/namespaces/${chain.namespace}/persistentvolumeclaims/${m.name}`);
    deleted++;
  }
  return deleted;
}

/** A Warning Event on the chain (the chain may be on its way out: the Event outlives it a while). */
export async function warn(kc: KubeConfig, chain: ChainMeta, reason: string, message: string, at: number) {
  await postEvent(kc, chain, "Warning", reason, message, at);
}

/** A core/v1 Event on the chain: milestones are Normal, trouble is a Warning. */
export async function postEvent(
  kc: KubeConfig,
  chain: ChainMeta,
  type: "Normal" | "Warning",
  reason: string,
  message: string,
  at: number,
) {
  const time = new Date(at).toISOString().replace(/\.\d+Z$/, "Z");
  await kubeJson(kc, "POST", `/api/v1/namespaces/${chain.namespace}/events`, {
    body: {
      apiVersion: "v1",
      kind: "Event",
      metadata: { generateName: `${chain.name}.`, namespace: chain.namespace },
      involvedObject: {
        apiVersion: API_VERSION,
        kind: KIND,
        name: chain.name,
        namespace: chain.namespace,
        uid: chain.uid,
      },
      reason,
      message,
      type,
      source: { component: "imagechain-operator" },
      firstTimestamp: time,
      lastTimestamp: time,
      count: 1,
    },
  });
}

export interface DeletedChainOptions {
  readonly kc: KubeConfig;
  readonly chain: CollectedChain;
  readonly meta: ChainMeta;
  /** The chain's pods still in the store (any phase). */
  readonly pods: readonly string[];
  readonly deletePod: (namespace: string, name: string) => Promise<void>;
  /** The chain's shared scratch and how to reach it; null when the spec no longer says (nothing to empty). */
  readonly scratch: { readonly uri: string; readonly s3: S3Options } | null;
  readonly now: number;
  readonly giveUpMs: number;
}

/**
 * One step of taking a deleted chain apart; resolves to a delay after which to look again, or undefined
 * once the finalizer is gone. Past `giveUpMs` since the deletion the finalizer goes whatever is left, with
 * a Warning Event saying what: a chain whose deletion waits for ever on an unreachable S3 is worse.
 */
export async function collectDeletedChain(o: DeletedChainOptions): Promise<number | undefined> {
  const since = Date.parse(o.chain.metadata?.deletionTimestamp ?? "") || o.now;
  const late = o.now - since >= o.giveUpMs;
  for (const pod of o.pods) await o.deletePod(o.meta.namespace, pod);
  let left: string | null = null;
  if (o.pods.length > 0) left = `${o.pods.length} pod(s) still terminating`;
  else if (o.scratch) {
    try {
      await removeSharedScratch(o.scratch.uri, o.scratch.s3);
    } catch (e) {
      left = `shared scratch ${o.scratch.uri} not emptied: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  if (left && !late) return Math.min(5000, Math.max(500, o.giveUpMs - (o.now - since)));
  if (left)
    await warn(o.kc, o.meta, "ScratchLeft", `finalizer removed after ${o.giveUpMs} ms; left: ${left}`, o.now);
  await dropScratchFinalizer(o.kc, o.chain);
  return undefined;
}
