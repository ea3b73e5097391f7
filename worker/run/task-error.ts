import { isIoError } from "../io/errors.ts";

/**
 * A task that failed, with what the executor needs: whether retrying can help and a message that names
 * the task's stage and tile (and, through the cause, the source or scratch key).
 */
export class TaskError extends Error {
  override readonly name = "TaskError";
  readonly permanent: boolean;

  constructor(message: string, permanent: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.permanent = permanent;
  }

  /** The task whose output this one needed and did not find (its tile was lost), if that is why it failed. */
  get lostInput(): number | null {
    let e: unknown = this.cause;
    while (e instanceof Error && !(e instanceof MissingInput)) e = e.cause;
    return e instanceof MissingInput ? e.task : null;
  }

  static wrap(e: unknown, where: string): TaskError {
    if (e instanceof TaskError) return e;
    const message = e instanceof Error ? e.message : String(e);
    return new TaskError(`${where}: ${message}`, isIoError(e) && e.permanent, { cause: e });
  }
}

/**
 * An input tile that is in neither the lane's area nor shared scratch: its producer `task` must run again
 * (as Spark resubmits the map stage behind a fetch failure). The worker exits with LOST_INPUT_EXIT and
 * this message, which the operator reads back.
 */
export class MissingInput extends Error {
  override readonly name = "MissingInput";
  readonly task: number;

  constructor(key: string, task: number) {
    super(`scratch tile ${key} of task ${task} is missing (deleted or lost before its reader ran)`);
    this.task = task;
  }
}

/** The worker's exit code when an input tile is missing. */
export const LOST_INPUT_EXIT = 3;

/** The producer task a worker's failure message names as missing, if any. */
export function lostInputOf(message: string): number | null {
  const m = / of task (\d+) is missing /.exec(message);
  return m ? Number(m[1]) : null;
}
