/**
 * The local executor's "nodes": long-lived worker processes (`worker/main.ts serve`), each running one
 * batch at a time. A worker that dies (crash, kill, out of memory) fails its batch as a transient error
 * and is replaced, as a pod's node would be; the executor's scheduler decides about the retry.
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TaskResult } from "../../worker/run/context.ts";
import type { FromWorker, ToWorker } from "../../worker/run/protocol.ts";

const WORKER_MAIN = fileURLToPath(new URL("../../worker/main.ts", import.meta.url));

export interface BatchRef {
  readonly batch: string;
  readonly attempt: number;
}

export interface PoolEvents {
  task(ref: BatchRef, task: number, result: TaskResult): void;
  done(ref: BatchRef): void;
  failed(ref: BatchRef, permanent: boolean, message: string): void;
  /** A worker process started (its pid, for logs and for whoever wants to see it die). */
  spawned(slot: number, pid: number): void;
}

interface Slot {
  child: ChildProcess;
  ready: Promise<void>;
  /** Ready once: only a worker that got through its start is replaced when it dies (no crash loops). */
  started: boolean;
  running: BatchRef | null;
}

export interface WorkerPool {
  readonly size: number;
  /** Where the pool's reports go from now on; a worker started before is reported at once. */
  listen(events: PoolEvents): void;
  /** Give every worker the chain; resolves once all are ready (rejects with the first failure). */
  init(message: Extract<ToWorker, { type: "init" }>): Promise<void>;
  /** Run a batch on an idle worker (waiting for one to be ready). */
  run(ref: BatchRef, lane: number, tasks: readonly number[]): Promise<void>;
  idle(): number;
  close(): Promise<void>;
}

const IGNORE: PoolEvents = { task() {}, done() {}, failed() {}, spawned() {} };

/**
 * Start the worker processes at once (they load their code while the caller reads and plans the chain),
 * then give them the chain with `init`.
 */
export function startPool(size: number): WorkerPool {
  let events = IGNORE;
  const slots: Slot[] = [];
  let closing = false;
  let init: Extract<ToWorker, { type: "init" }> | null = null;

  const spawn = (index: number): Slot => {
    const child = fork(WORKER_MAIN, ["serve"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    let settleReady!: { resolve: () => void; reject: (e: Error) => void };
    const ready = new Promise<void>((resolve, reject) => (settleReady = { resolve, reject }));
    ready.catch(() => undefined);
    const slot: Slot = { child, ready, started: false, running: null };
    events.spawned(index, child.pid!);
    child.on("message", (m: FromWorker) => {
      switch (m.type) {
        case "ready":
          slot.started = true;
          settleReady.resolve();
          break;
        case "init-failed":
          settleReady.reject(Object.assign(new Error(m.message), { permanent: m.permanent }));
          break;
        case "task":
          if (slot.running) events.task(slot.running, m.task, m.result);
          break;
        case "batch-done":
        case "batch-failed": {
          const ref = slot.running!;
          slot.running = null;
          if (m.type === "batch-done") events.done(ref);
          else events.failed(ref, m.permanent, m.message);
          break;
        }
      }
    });
    child.on("exit", (code, signal) => {
      settleReady.reject(new Error(`worker exited before it was ready (${signal ?? `code ${code}`})`));
      if (closing || !slot.started) return;
      const lost = slot.running;
      slots[index] = spawn(index);
      slots[index].child.send(init!);
      if (lost)
        events.failed(lost, false, `worker process ${child.pid} died (${signal ?? `exit code ${code}`})`);
    });
    return slot;
  };

  for (let i = 0; i < size; i++) slots.push(spawn(i));

  return {
    size,
    listen(listener) {
      events = listener;
      slots.forEach((s, i) => events.spawned(i, s.child.pid!));
    },
    async init(message) {
      init = message;
      for (const s of slots) s.child.send(message);
      await Promise.all(slots.map((s) => s.ready));
    },
    async run(ref, lane, tasks) {
      const slot = slots.find((s) => s.running === null);
      if (!slot) throw new Error(`no idle worker for batch ${ref.batch}`);
      slot.running = ref;
      try {
        await slot.ready;
      } catch (e) {
        slot.running = null;
        events.failed(ref, false, (e as Error).message);
        return;
      }
      const message: ToWorker = { type: "batch", batch: ref.batch, lane, tasks };
      slot.child.send(message);
    },
    idle: () => slots.filter((s) => s.running === null).length,
    async close() {
      closing = true;
      await Promise.all(
        slots.map(
          (s) =>
            new Promise<void>((resolve) => {
              if (s.child.exitCode !== null || s.child.signalCode !== null) return resolve();
              // An idle worker exits by itself when the channel closes; one busy with a batch of a failed
              // chain is stopped.
              const stop = setTimeout(() => s.child.kill("SIGTERM"), s.running ? 0 : 2000);
              s.child.once("exit", () => {
                clearTimeout(stop);
                resolve();
              });
              if (s.child.connected) s.child.disconnect();
            }),
        ),
      );
    },
  };
}
