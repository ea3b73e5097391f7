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

  static wrap(e: unknown, where: string): TaskError {
    if (e instanceof TaskError) return e;
    const message = e instanceof Error ? e.message : String(e);
    return new TaskError(`${where}: ${message}`, isIoError(e) && e.permanent, { cause: e });
  }
}
