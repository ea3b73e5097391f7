/**
 * Lease leader election (client-go leaderelection over coordination.k8s.io/v1 Leases), so that of
 * several operator replicas only one acts. A candidate takes the Lease when its holder has not
 * renewed it for leaseDuration as observed on the candidate's own clock (never by comparing with
 * the holder's renewTime: clocks differ); the leader renews every retryPeriod and steps down — aborts
 * the signal its controllers run under — when it has not managed to renew for renewDeadline, which
 * is shorter than leaseDuration so that it stops before anyone else may start. Every write carries
 * the resourceVersion read: 409 means another candidate won the race.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { realClock, sleep, type Clock } from "./clock.ts";
import { kubeRequest } from "./kube-http.ts";
import { jittered } from "./shell-backoff.ts";

export interface LeaderOptions {
  readonly kc: KubeConfig;
  readonly namespace: string;
  readonly name: string;
  /** Unique per replica (pod name + a random suffix). */
  readonly identity: string;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** This replica leads from now until `signal` aborts. */
  readonly onStartedLeading: (signal: AbortSignal) => void;
  readonly onStoppedLeading?: () => void;
  /** Told of failed Lease requests (not of lost races, which are normal). */
  readonly onError?: (error: unknown) => void;
}

export interface LeaderElector {
  readonly isLeader: boolean;
  /** Stops contending; a leader steps down and, with `release`, hands the Lease over at once. */
  stop(options?: { release?: boolean }): Promise<void>;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits (a Date's ISO string has three). */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

export function startLeaderElection(options: LeaderOptions): LeaderElector {
  const clock = options.clock ?? realClock;
  const random = options.random ?? Math.random;
  const leaseMs = options.leaseDurationMs ?? 15_000;
  const deadlineMs = options.renewDeadlineMs ?? 10_000;
  const retryMs = options.retryPeriodMs ?? 2_000;
  if (!(deadlineMs < leaseMs)) throw new RangeError("renewDeadlineMs must be shorter than leaseDurationMs");
  const path = `/apis/coordination.k8s.io/v1/namespaces/${options.namespace}/leases/${options.name}`;
  const stopping = new AbortController();
  let leading: AbortController | undefined;
  /** The last Lease version seen and when this replica first saw it. */
  let observed: { resourceVersion: string; at: number } | undefined;

  const attempt = async (timeoutMs: number): Promise<boolean> => {
    try {
      return await tryAcquireOrRenew(AbortSignal.timeout(Math.max(1, timeoutMs)));
    } catch (e) {
      options.onError?.(e);
      return false;
    }
  };

  const tryAcquireOrRenew = async (signal: AbortSignal): Promise<boolean> => {
    const now = clock.now();
    const mine: LeaseSpec = {
      holderIdentity: options.identity,
      leaseDurationSeconds: Math.ceil(leaseMs / 1000),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    const got = await kubeRequest(options.kc, "GET", path, { signal });
    if (got.status === 404) {
      const created = await kubeRequest(options.kc, "POST", path.slice(0, path.lastIndexOf("/")), {
        signal,
        body: {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: { name: options.name, namespace: options.namespace },
          spec: mine,
        },
      });
      if (created.status === 409) return false;
      if (created.status >= 300)
        throw new Error(`create Lease ${options.namespace}/${options.name}: ${created.status}`);
      observed = { resourceVersion: String(resourceVersionOf(created.body)), at: now };
      return true;
    }
    if (got.status >= 300) throw new Error(`get Lease ${options.namespace}/${options.name}: ${got.status}`);
    const lease = got.body as unknown as Lease;
    const rv = lease.metadata.resourceVersion ?? "";
    if (observed?.resourceVersion !== rv) observed = { resourceVersion: rv, at: now };
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? "";
    const heldMs = (spec.leaseDurationSeconds ?? 0) * 1000;
    if (holder !== "" && holder !== options.identity && now < observed.at + heldMs) return false;
    const keep = holder === options.identity;
    const next: Lease = {
      ...lease,
      spec: {
        ...mine,
        acquireTime: keep ? (spec.acquireTime ?? mine.acquireTime) : mine.acquireTime,
        leaseTransitions: (spec.leaseTransitions ?? 0) + (keep || holder === "" ? 0 : 1),
      },
    };
    const put = await kubeRequest(options.kc, "PUT", path, { signal, body: next });
    if (put.status === 409) return false;
    if (put.status >= 300)
      throw new Error(`update Lease ${options.namespace}/${options.name}: ${put.status}`);
    observed = { resourceVersion: String(resourceVersionOf(put.body)), at: now };
    return true;
  };

  const release = async () => {
    const got = await kubeRequest(options.kc, "GET", path);
    const lease = got.body as unknown as Lease;
    if (got.status !== 200 || lease.spec?.holderIdentity !== options.identity) return;
    const now = clock.now();
    await kubeRequest(options.kc, "PUT", path, {
      body: {
        ...lease,
        spec: { ...lease.spec, holderIdentity: "", leaseDurationSeconds: 1, renewTime: microTime(now) },
      },
    });
  };

  const loop = async () => {
    while (!stopping.signal.aborted) {
      // Contend: every retry period (jittered, so candidates do not collide in lockstep).
      while (!stopping.signal.aborted && !(await attempt(deadlineMs))) {
        await sleep(clock, jittered(retryMs * 1.2, random()), stopping.signal);
      }
      if (stopping.signal.aborted) return;
      leading = new AbortController();
      options.onStartedLeading(leading.signal);
      let renewed = clock.now();
      while (!stopping.signal.aborted) {
        await sleep(clock, retryMs, stopping.signal);
        if (stopping.signal.aborted) break;
        const left = deadlineMs - (clock.now() - renewed);
        if (left > 0 && (await attempt(left))) renewed = clock.now();
        else if (clock.now() - renewed >= deadlineMs) break;
      }
      leading.abort();
      leading = undefined;
      options.onStoppedLeading?.();
    }
  };
  const running = loop();

  return {
    get isLeader() {
      return leading !== undefined;
    },
    async stop(stopOptions = {}) {
      const wasLeader = leading !== undefined;
      stopping.abort();
      await running;
      if (wasLeader && stopOptions.release) await release().catch((e: unknown) => options.onError?.(e));
    },
  };
}

function resourceVersionOf(body: Record<string, unknown>): string | undefined {
  return (body.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
}
