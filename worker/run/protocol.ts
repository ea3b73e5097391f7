/** Messages between the local executor and a worker process it forked (`worker/main.ts serve`), over IPC. */
import type { TaskResult } from "./context.ts";

export type ToWorker =
  | {
      readonly type: "init";
      readonly spec: unknown;
      readonly lanes: number;
      readonly scratch: string;
      /** Every lane's scratch is the shared directory (one machine, one disk). */
      readonly oneArea: boolean;
    }
  | {
      readonly type: "batch";
      readonly batch: string;
      readonly lane: number;
      readonly tasks: readonly number[];
    };

export type FromWorker =
  | { readonly type: "ready" }
  | { readonly type: "init-failed"; readonly permanent: boolean; readonly message: string }
  | { readonly type: "task"; readonly batch: string; readonly task: number; readonly result: TaskResult }
  | { readonly type: "batch-done"; readonly batch: string }
  | {
      readonly type: "batch-failed";
      readonly batch: string;
      readonly permanent: boolean;
      readonly message: string;
    };
