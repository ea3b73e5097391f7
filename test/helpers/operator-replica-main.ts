/**
 * `imagechain operator` as a process against the emulator: the CLI's own code (flags, Lease, signals,
 * exit codes) with the pod adjustments the emulator needs — the worker's entry point on this machine,
 * and mount paths moved aside when they would hide the checkout (see pods-cluster.test.ts).
 */
import { operatorCommand } from "../../operator/cli/operator.ts";
import { unshadowed, WORKER_COMMAND } from "./worker-pods.ts";

process.exitCode = await operatorCommand(process.argv.slice(2), {
  command: WORKER_COMMAND,
  decoratePod: unshadowed,
});
