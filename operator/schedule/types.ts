/** The scheduler's state of record, the stimuli that change it and the actions it asks for. Plain data. */

export const PENDING = 0;
export const RUNNING = 1;
export const DONE = 2;
/** Done, and its tile deleted: every consumer had finished, or the tile was lost and nothing needed it. */
export const DELETED = 3;
export type TaskState = typeof PENDING | typeof RUNNING | typeof DONE | typeof DELETED;
export const TASK_STATE_NAMES = ["pending", "running", "done", "deleted"] as const;

/** Why a batch's pod ended badly. Only `error` counts toward the retry limit; `permanent` fails the chain. */
/** input-lost: the batch found an input tile missing (its producer runs again); like evicted, not counted. */
export type FailureReason = "error" | "evicted" | "node-lost" | "permanent" | "input-lost";

export interface Batch {
  readonly id: string; // "l<lane>-b<seq>": with the attempt, the pod's deterministic name
  readonly lane: number;
  readonly tasks: readonly number[]; // in execution order
  readonly attempt: number; // 1-based
  readonly failures: number; // counted failures so far
  readonly phase: "running" | "backoff";
  readonly retryAt: number | null; // ms since epoch, in backoff
  readonly lastError: string | null;
}

export interface ChainState {
  readonly tasks: Uint8Array; // TaskState per task
  /**
   * 1 per task last finished by a pod of another lane (work taken from a loaded lane): such a pod writes
   * the task's output to shared scratch, where it survives the loss of either lane's volume.
   */
  readonly moved: Uint8Array;
  readonly batches: readonly Batch[]; // running or waiting to retry; finished batches are dropped
  readonly nextBatch: readonly number[]; // per lane: the sequence number of its next new batch
  readonly failure: string | null; // set once the chain has failed for good
  /**
   * 1 per lane whose node was lost and whose replacement has not reported a finished task yet: a fresh node
   * takes a while to join, so work bound to it waits. Absent: no lane lost.
   */
  readonly unproven?: Uint8Array;
}

export type Stimulus =
  | {
      readonly type: "BatchStarted";
      readonly batch: string;
      readonly lane: number;
      readonly attempt: number;
      readonly tasks: readonly number[];
    }
  | {
      readonly type: "TasksSucceeded";
      readonly batch: string;
      readonly attempt: number;
      readonly tasks: readonly number[];
    }
  | { readonly type: "BatchSucceeded"; readonly batch: string; readonly attempt: number }
  | {
      readonly type: "BatchFailed";
      readonly batch: string;
      readonly attempt: number;
      readonly reason: FailureReason;
      readonly at: number;
      readonly message: string;
    }
  | { readonly type: "TilesDeleted"; readonly tasks: readonly number[] }
  | { readonly type: "LaneLost"; readonly lane: number }
  /** Tiles found missing by a reader although their tasks are done: redone, with what they need. */
  | { readonly type: "TilesLost"; readonly tasks: readonly number[] };

export type Action =
  /** A batch runs on `lane`'s node; its tasks of other lanes (taken from them) write to shared scratch. */
  | {
      readonly type: "StartBatch";
      readonly batch: string;
      readonly lane: number;
      readonly attempt: number;
      readonly tasks: readonly number[];
    }
  /** Delete these tiles from the lane's volume and from shared scratch. */
  | { readonly type: "DeleteTiles"; readonly lane: number; readonly tasks: readonly number[] }
  | { readonly type: "RequeueAfter"; readonly ms: number }
  | { readonly type: "FailChain"; readonly message: string }
  | { readonly type: "Complete" };

/** One task transition and the stimulus that caused it: the answer to "why is this tile here?". */
export interface Transition {
  readonly task: number;
  readonly from: TaskState;
  readonly to: TaskState;
  readonly stimulus: Stimulus["type"];
  readonly batch: string | null;
}

export function initialState(taskCount: number, lanes: number): ChainState {
  return {
    tasks: new Uint8Array(taskCount),
    moved: new Uint8Array(taskCount),
    batches: [],
    nextBatch: new Array<number>(lanes).fill(0),
    failure: null,
    unproven: new Uint8Array(lanes),
  };
}
