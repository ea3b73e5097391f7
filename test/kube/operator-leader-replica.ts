/**
 * `imagechain operator` as a process against the emulator: the CLI's own code (flags, Lease, signals,
 * exit codes) with the pod adjustments the emulator needs — the worker's entry point on this machine,
 * and mount paths moved aside when they would hide the checkout (see pods-cluster.test.ts).
 */
import { join } from "node:path";
import { operatorCommand } from "../../operator/cli/operator.ts";

const WORKER = join(import.meta.dirname, "../../worker/main.ts");

process.exitCode = await operatorCommand(process.argv.slice(2), {
  command: [process.execPath, WORKER],
  decoratePod: (pod) => {
    for (const c of pod.spec!.containers) {
      for (const m of c.volumeMounts ?? []) {
        if (WORKER.startsWith(`${m.mountPath}/`)) m.mountPath = `${m.mountPath}-pod`;
      }
    }
    return pod;
  },
});
