/**
 * The chart's operator container as a process against the emulator: `imagechain operator` with the
 * Deployment's args, through the CLI's own code (flag parsing, Lease, metrics, signals), with the two pod
 * adjustments the emulator needs, which the container image does not (see operator-deployment.test.ts):
 * worker pods run this checkout's worker entry point, and a mount that would hide the checkout moves
 * aside. Pods of chains named `fail-*` exit 1 at once, to drive the failure path.
 */
import { operatorCommand } from "../../operator/cli/operator.ts";
import { LABEL } from "../../operator/kube/meta.ts";
import { failAtOnce } from "../helpers/operator-world.ts";
import { unshadowed, WORKER_COMMAND } from "../helpers/worker-pods.ts";

process.exitCode = await operatorCommand(process.argv.slice(2), {
  command: WORKER_COMMAND,
  decoratePod: (pod) => {
    if (pod.metadata?.labels?.[LABEL.chain]?.startsWith("fail-")) failAtOnce(pod);
    return unshadowed(pod);
  },
});
