import { KubeConfig } from "@kubernetes/client-node";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { startController } from "../kube/controller.ts";
import { UsageError } from "./failure.ts";

const USAGE =
  "usage: imagechain operator [--kubeconfig FILE] [--namespace NS] [--image IMAGE] [--scratch-uri s3://bucket/prefix/]";

/** The worker image when neither the chain nor --image names one: the operator's own image holds the worker. */
const DEFAULT_IMAGE = process.env.IMAGECHAIN_IMAGE ?? "ghcr.io/imagechain/imagechain:latest";

/**
 * `imagechain operator`: runs the controller until SIGINT or SIGTERM. The kubeconfig is --kubeconfig, else
 * the usual places (KUBECONFIG, ~/.kube/config, in-cluster). S3 credentials of the operator come from the
 * environment; shared scratch is under --scratch-uri, else in the bucket of each chain's first S3 output.
 */
export async function operatorCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      kubeconfig: { type: "string" },
      namespace: { type: "string" },
      image: { type: "string" },
      "scratch-uri": { type: "string" },
    },
  });
  if (positionals.length) throw new UsageError(`operator takes no arguments\n${USAGE}`);
  const scratchUri = values["scratch-uri"];
  if (scratchUri !== undefined && !scratchUri.startsWith("s3://"))
    throw new UsageError(`--scratch-uri must be an s3:// prefix\n${USAGE}`);
  const kc = new KubeConfig();
  if (values.kubeconfig) kc.loadFromFile(values.kubeconfig);
  else kc.loadFromDefault();
  const log = pino({ base: null, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination(2));
  const controller = startController({
    kc,
    image: values.image ?? DEFAULT_IMAGE,
    ...(values.namespace ? { namespace: values.namespace } : {}),
    ...(scratchUri ? { scratchUri } : {}),
    onError: (key, error) => log.warn({ chain: key, err: String(error) }, "reconcile failed"),
  });
  await controller.synced;
  log.info({ namespace: values.namespace ?? "(all)" }, "operator started");
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await controller.stop();
  log.info("operator stopped");
  return 0;
}
