/** The emulator's side of the launcher process: start container processes, signal them, learn how they ended. */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export type LauncherRequest =
  | { op: "start"; id: number; argv: string[]; cwd: string; env: Record<string, string>; log: string }
  | { op: "kill"; id: number; signal: NodeJS.Signals }
  | { op: "shutdown" };

export type LauncherReply = {
  op: "exit";
  id: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: string;
};

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (e.g. no such command). */
  readonly error?: string;
}

export interface Launched {
  kill(signal: NodeJS.Signals): void;
}

export interface StartRequest {
  readonly argv: string[];
  readonly cwd: string;
  readonly env: Record<string, string>;
  readonly log: string;
}

export class Launcher {
  readonly #child: ChildProcess;
  readonly #exits = new Map<number, (exit: Exit) => void>();
  #next = 0;

  constructor() {
    const entry = fileURLToPath(new URL("./launcher-process.ts", import.meta.url));
    this.#child = fork(entry, [], {
      execPath: process.execPath,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.#child.on("message", (m: LauncherReply) => {
      const done = this.#exits.get(m.id);
      this.#exits.delete(m.id);
      done?.({ code: m.code, signal: m.signal, error: m.error });
    });
  }

  get running(): number {
    return this.#exits.size;
  }

  start(request: StartRequest, onExit: (exit: Exit) => void): Launched {
    const id = ++this.#next;
    this.#exits.set(id, onExit);
    this.#child.send({ op: "start", id, ...request } satisfies LauncherRequest);
    return {
      kill: (signal) => {
        if (this.#exits.has(id)) this.#child.send({ op: "kill", id, signal } satisfies LauncherRequest);
      },
    };
  }

  /** Kills every process it started and waits for the launcher to exit. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise((r) => this.#child.once("exit", r));
    this.#child.send({ op: "shutdown" } satisfies LauncherRequest);
    await exited;
  }
}
