/**
 * The controller run only while this replica holds the operator's Lease. Losing the Lease ends the
 * process's term for good (the caller exits non-zero and Kubernetes restarts the pod, as client-go
 * controllers do): a fresh process starts from the cluster, not from stores, queue and expectations
 * of a term that may have missed events, and exiting is the one way to be sure that nothing of the
 * old term — a reconcile the bounded stop gave up on — writes once another replica leads.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import type { Controller } from "./controller.ts";
import { startLeaderElection } from "./leader.ts";

export const LEASE_NAME = "imagechain-operator";

export interface LeadingOptions {
  readonly kc: KubeConfig;
  /** Where the Lease lives. */
  readonly namespace: string;
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  /** Starts the controller; called once, when this replica begins to lead. */
  readonly start: () => Controller;
  readonly log: {
    info(fields: object, msg: string): void;
    warn(fields: object, msg: string): void;
  };
}

export interface Leading {
  /** Resolves once the Lease was lost and the controller stopped (or the time to stop ran out). */
  readonly lost: Promise<void>;
  /** Stops the controller, then hands the Lease over at once (SIGTERM). */
  stop(): Promise<void>;
}

export function runWhileLeading(options: LeadingOptions): Leading {
  const { leaseDurationMs: lease, renewDeadlineMs: deadline, retryPeriodMs: retry, log } = options;
  if (!(retry < deadline && deadline < lease))
    throw new RangeError(
      `lease timings need retry period (${retry} ms) < renew deadline (${deadline} ms) < lease duration (${lease} ms)`,
    );
  // A leader notices it failed to renew at most a retry period after its renew deadline; another
  // replica may act a lease duration after the last renew it saw. Between the two the controller must stop.
  const stopWithinMs = lease - deadline - retry;
  let controller: Controller | undefined;
  let stopping = false;
  let lose: () => void = () => {};
  const lost = new Promise<void>((resolve) => (lose = resolve));

  const elector = startLeaderElection({
    kc: options.kc,
    namespace: options.namespace,
    name: LEASE_NAME,
    identity: options.identity,
    leaseDurationMs: lease,
    renewDeadlineMs: deadline,
    retryPeriodMs: retry,
    onStartedLeading: (signal) => {
      if (controller) return;
      log.info({ identity: options.identity }, "leading");
      const started = options.start();
      controller = started;
      started.synced.then(
        () => log.info({ identity: options.identity }, "operator started"),
        () => {},
      );
      signal.addEventListener("abort", () => {
        if (stopping) return;
        log.warn({ identity: options.identity, stopWithinMs }, "lost the lease; stopping");
        // No contending again meanwhile: this process's term is over.
        const stopped = Promise.race([started.stop(), new Promise((r) => setTimeout(r, stopWithinMs))]);
        void Promise.all([elector.stop(), stopped]).then(lose, lose);
      });
    },
    onError: (e) => log.warn({ err: String(e) }, "lease request failed"),
  });

  return {
    lost,
    async stop() {
      stopping = true;
      // The Lease is still renewed while the controller stops, so nobody else acts before it is done.
      await controller?.stop();
      await elector.stop({ release: true });
    },
  };
}
