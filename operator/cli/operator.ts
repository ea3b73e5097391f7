import { KubeConfig, type V1Pod } from "@kubernetes/client-node";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { startController, type ControllerOptions } from "../kube/controller.ts";
import { runWhileLeading } from "../kube/leading.ts";
import { createMetrics, serveMetrics } from "../kube/metrics.ts";
import { UsageError } from "./failure.ts";

const USAGE =
  "usage: imagechain operator [--kubeconfig FILE] [--namespace NS | --all-namespaces (default)] [--image IMAGE] [--scratch-uri s3://bucket/prefix/]\n" +
  "       [--worker-command 'node worker/main.ts'] [--worker-service-account SA] [--default-storage-class SC]\n" +
  "       [--lease-namespace NS] [--lease-duration 15s] [--renew-deadline 10s] [--retry-period 2s]\n" +
  "       [--node-lost-after 5m] [--resync 5m (0: never)] [--log-level info]\n" +
  "       [--metrics-port 8080 (0: no /metrics, /healthz nor /readyz)]";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** The worker image when neither the chain nor --image names one: the operator's own image holds the worker. */
const DEFAULT_IMAGE = process.env.IMAGECHAIN_IMAGE ?? "ghcr.io/imagechain/imagechain:latest";

/** Which replica created a pod: the identity it held the Lease under. */
export const CREATED_BY = "imagechain.io/created-by";

/** A duration as the Kubernetes components write them: 15s, 500ms, 1m. */
function duration(flag: string, text: string): number {
  if (text === "0") return 0;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text);
  if (!m) throw new UsageError(`--${flag} must be a duration like 15s or 500ms, not '${text}'\n${USAGE}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as "ms" | "s" | "m"];
}

/**
 * `imagechain operator`: contends for the Lease imagechain-operator and runs the controller while it
 * leads, until SIGINT or SIGTERM (exit 0, the Lease released) or until it loses the Lease (exit 1, so
 * that Kubernetes restarts it as a fresh candidate). The kubeconfig is --kubeconfig, else the usual
 * places (KUBECONFIG, ~/.kube/config, in-cluster). S3 credentials of the operator come from the
 * environment; shared scratch is under --scratch-uri, else in the bucket of each chain's first S3 output.
 * `adjust` is for running the command against the tests' emulator.
 */
export async function operatorCommand(
  argv: string[],
  adjust: Pick<ControllerOptions, "command" | "decoratePod"> = {},
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      kubeconfig: { type: "string" },
      namespace: { type: "string" },
      "all-namespaces": { type: "boolean", default: false },
      image: { type: "string" },
      "scratch-uri": { type: "string" },
      "lease-namespace": { type: "string" },
      "lease-duration": { type: "string", default: "15s" },
      "renew-deadline": { type: "string", default: "10s" },
      "retry-period": { type: "string", default: "2s" },
      "metrics-port": { type: "string", default: "8080" },
      "worker-command": { type: "string" },
      "worker-service-account": { type: "string" },
      "default-storage-class": { type: "string" },
      "node-lost-after": { type: "string", default: "5m" },
      resync: { type: "string", default: "5m" },
      "log-level": { type: "string", default: process.env.LOG_LEVEL ?? "info" },
    },
  });
  if (positionals.length) throw new UsageError(`operator takes no arguments\n${USAGE}`);
  if (values.namespace !== undefined && values["all-namespaces"])
    throw new UsageError(`--namespace and --all-namespaces exclude each other\n${USAGE}`);
  const scratchUri = values["scratch-uri"];
  if (scratchUri !== undefined && !scratchUri.startsWith("s3://"))
    throw new UsageError(`--scratch-uri must be an s3:// prefix\n${USAGE}`);
  const timings = {
    leaseDurationMs: duration("lease-duration", values["lease-duration"]),
    renewDeadlineMs: duration("renew-deadline", values["renew-deadline"]),
    retryPeriodMs: duration("retry-period", values["retry-period"]),
  };
  if (!(timings.retryPeriodMs < timings.renewDeadlineMs && timings.renewDeadlineMs < timings.leaseDurationMs))
    throw new UsageError(`need --retry-period < --renew-deadline < --lease-duration\n${USAGE}`);
  const metricsPort = Number(values["metrics-port"]);
  if (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535)
    throw new UsageError(`--metrics-port must be a port number, not '${values["metrics-port"]}'\n${USAGE}`);
  const level = values["log-level"];
  if (!LOG_LEVELS.includes(level))
    throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(", ")}, not '${level}'\n${USAGE}`);
  const workerCommand = values["worker-command"]?.split(/\s+/).filter(Boolean);
  if (workerCommand?.length === 0) throw new UsageError(`--worker-command is empty\n${USAGE}`);
  const command = adjust.command ?? workerCommand;
  const nodeLostAfterMs = duration("node-lost-after", values["node-lost-after"]);
  const resyncMs = duration("resync", values.resync);
  const kc = new KubeConfig();
  if (values.kubeconfig) kc.loadFromFile(values.kubeconfig);
  else kc.loadFromDefault();
  const log = pino({ base: null, level, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination(2));
  const identity = `${process.env.HOSTNAME ?? hostname()}_${randomBytes(4).toString("hex")}`;
  const decorate = adjust.decoratePod ?? ((pod: V1Pod) => pod);
  const metrics = createMetrics();
  // Not ready only while leading with caches still filling: a standby is ready to take over.
  let syncing = false;
  // A port already taken (a second replica on one host) costs the metrics, not the reconciling.
  const server =
    metricsPort > 0
      ? await serveMetrics(metrics, metricsPort, () => !syncing).catch((e: unknown) => {
          log.error({ port: metricsPort, err: String(e) }, "no /metrics nor /healthz");
          return null;
        })
      : null;
  const leading = runWhileLeading({
    kc,
    namespace: values["lease-namespace"] ?? process.env.POD_NAMESPACE ?? "default",
    identity,
    ...timings,
    log,
    start: () => {
      syncing = true;
      const controller = startController({
        kc,
        image: values.image ?? DEFAULT_IMAGE,
        ...(values.namespace ? { namespace: values.namespace } : {}),
        ...(scratchUri ? { scratchUri } : {}),
        ...(command ? { command } : {}),
        ...(values["worker-service-account"]
          ? { workerServiceAccount: values["worker-service-account"] }
          : {}),
        ...(values["default-storage-class"] ? { defaultStorageClass: values["default-storage-class"] } : {}),
        nodeLostAfterMs,
        resyncMs,
        log,
        decoratePod: (pod) => {
          const annotations = (pod.metadata!.annotations ??= {});
          annotations[CREATED_BY] = identity;
          return decorate(pod);
        },
        metrics,
        onError: (key, error) => log.warn({ chain: key, err: String(error) }, "reconcile failed"),
      });
      controller.synced.then(
        () => (syncing = false),
        () => {},
      );
      return controller;
    },
  });
  log.info(
    { identity, namespace: values.namespace ?? "(all)", metricsPort: server?.port ?? null },
    "operator waiting for the lease",
  );
  const signalled = new Promise<"signal">((resolve) => {
    process.once("SIGINT", () => resolve("signal"));
    process.once("SIGTERM", () => resolve("signal"));
  });
  if ((await Promise.race([signalled, leading.lost.then(() => "lost" as const)])) === "lost") {
    log.error({ identity }, "lost the lease: exiting so that a fresh process contends");
    // Whatever still runs of this term (a reconcile that outlived the bounded stop) ends here.
    process.exit(1);
  }
  await leading.stop();
  await server?.close();
  log.info({ identity }, "operator stopped");
  return 0;
}
