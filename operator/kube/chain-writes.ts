/**
 * The writes of a reconcile that more than one branch makes: the status (with its resourceVersion
 * precondition, then the Event and log line of a phase change), creations that tolerate AlreadyExists,
 * deletions that tolerate NotFound, and the claims of lost lane volumes.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { isDeepStrictEqual } from "node:util";
import { postEvent } from "./collect.ts";
import type { Expectations } from "./expectations.ts";
import { KubeHttpError, kubeJson, kubeRequest } from "./kube-http.ts";
import { LABEL, type ChainMeta } from "./meta.ts";
import { isStaleClaim } from "./nodes.ts";
import type { ChainObject } from "./reconcile.ts";
import type { LaneRecord } from "./status.ts";
import type { KubeObject, Store } from "./store.ts";

const GROUP_PATH = "/apis/imagechain.io/v1alpha1";

export interface WriteDeps {
  readonly kc: KubeConfig;
  readonly claims: Store<KubeObject>;
  readonly expectations: Expectations;
  readonly now: () => number;
  readonly log?: Pick<Logger, "info" | "warn" | "debug">;
}

export function chainWrites(d: WriteDeps) {
  const writeStatus = async (
    key: string,
    meta: ChainMeta,
    chain: ChainObject,
    status: Record<string, unknown>,
  ) => {
    const normal = JSON.parse(JSON.stringify(status)) as Record<string, unknown>;
    if (isDeepStrictEqual(normal, chain.status ?? {})) return;
    const { namespace, name, resourceVersion } = chain.metadata!;
    // The resourceVersion read is the precondition: a stale read gets 409 and the queue retries.
    await kubeJson(d.kc, "PUT", `${GROUP_PATH}/namespaces/${namespace}/imagechains/${name}/status`, {
      body: { ...chain, status: normal },
    });
    d.expectations.wrote(key, d.now(), { ...(resourceVersion ? { readVersion: resourceVersion } : {}) });
    // The status write is the transition: the Event follows it once (a failed Event is not retried).
    const phase = normal.phase;
    if (phase === chain.status?.phase) return;
    d.log?.info({ chain: key, phase, from: chain.status?.phase ?? null }, "phase");
    if (phase === "Succeeded")
      await postEvent(d.kc, meta, "Normal", "Complete", "every output is written", d.now());
    if (phase === "Failed") {
      const conditions = (normal.conditions ?? []) as { type?: string; message?: string }[];
      const why = conditions.find((c) => c.type === "Failed")?.message ?? "";
      d.log?.warn({ chain: key, reason: why }, "chain failed");
      await postEvent(d.kc, meta, "Warning", "Failed", why, d.now());
    }
  };

  /** Creates an object; false if it existed already. */
  const create = async (path: string, body: unknown) => {
    const res = await kubeRequest(d.kc, "POST", path, { body });
    if (res.status === 409 && res.body.reason === "AlreadyExists") return false;
    if (res.status < 200 || res.status > 299) throw new KubeHttpError("POST", path, res.status, res.body);
    return true;
  };

  const deletePod = async (namespace: string, name: string) => {
    const path = `/api/v1/namespaces/${namespace}/pods/${name}`;
    const res = await kubeRequest(d.kc, "DELETE", path);
    if (res.status !== 404 && (res.status < 200 || res.status > 299))
      throw new KubeHttpError("DELETE", path, res.status, res.body);
  };

  const deleteStaleClaims = async (meta: ChainMeta, records: readonly LaneRecord[]) => {
    type Claim = KubeObject & { metadata?: { labels?: Record<string, string>; deletionTimestamp?: string } };
    for (const c of d.claims.list() as Claim[]) {
      const m = c.metadata;
      if (m?.namespace !== meta.namespace || m.labels?.[LABEL.chainUid] !== meta.uid || m.deletionTimestamp)
        continue;
      if (!isStaleClaim(c, records)) continue;
      const path = `/api/v1/namespaces/${meta.namespace}/persistentvolumeclaims/${m.name}`;
      const res = await kubeRequest(d.kc, "DELETE", path);
      if (res.status !== 404 && (res.status < 200 || res.status > 299))
        throw new KubeHttpError("DELETE", path, res.status, res.body);
    }
  };

  return { writeStatus, create, deletePod, deleteStaleClaims };
}
