/** Worker pods on the emulator: its "image" is this machine's filesystem with the pod's volumes laid over it. */
import type { V1Pod } from "@kubernetes/client-node";
import { join } from "node:path";

/** The worker's entry point in this checkout, which an emulated pod runs with this Node. */
export const WORKER = join(import.meta.dirname, "../../worker/main.ts");
export const WORKER_COMMAND = [process.execPath, WORKER];

/**
 * A checkout below a pod mount path (a CI clone under /tmp, with the pod's /tmp emptyDir) would be hidden
 * from the worker in the emulator, as in a real container: such a mount moves aside.
 */
export function unshadowed(pod: V1Pod): V1Pod {
  for (const c of pod.spec!.containers) {
    for (const m of c.volumeMounts ?? []) {
      if (WORKER.startsWith(`${m.mountPath}/`)) m.mountPath = `${m.mountPath}-pod`;
    }
  }
  return pod;
}
