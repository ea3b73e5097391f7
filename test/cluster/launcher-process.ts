/**
 * The launcher: a small process that spawns container processes for the kubelets. Forking from
 * it rather than from the emulator keeps process start-up cheap (fork cost grows with the
 * parent's memory) and keeps the API server's event loop free.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import type { LauncherReply, LauncherRequest } from "./launcher.ts";

const children = new Map<number, ChildProcess>();

/** Signals a container's whole process group, as a runtime signals a container's cgroup. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is already gone
  }
}
const send = (reply: LauncherReply) => process.send?.(reply);

function shutdown(): void {
  for (const child of children.values()) signalGroup(child, "SIGKILL");
  if (children.size === 0) process.exit(0);
}
let stopping = false;

process.on("message", (m: LauncherRequest) => {
  if (m.op === "start") {
    mkdirSync(m.cwd, { recursive: true });
    mkdirSync(dirname(m.log), { recursive: true });
    const log = openSync(m.log, "a");
    // Each container leads its own process group, so that its descendants die with it.
    const child = spawn(m.argv[0], m.argv.slice(1), {
      cwd: m.cwd,
      env: m.env,
      stdio: ["ignore", log, log],
      detached: true,
    });
    closeSync(log);
    children.set(m.id, child);
    let reported = false;
    const report = (reply: LauncherReply) => {
      if (reported) return;
      reported = true;
      children.delete(m.id);
      send(reply);
      if (stopping && children.size === 0) process.exit(0);
    };
    child.on("error", (e) => report({ op: "exit", id: m.id, code: null, signal: null, error: e.message }));
    child.on("exit", (code, signal) => {
      signalGroup(child, "SIGKILL");
      report({ op: "exit", id: m.id, code, signal });
    });
  } else if (m.op === "kill") {
    const child = children.get(m.id);
    if (child) signalGroup(child, m.signal);
  } else {
    stopping = true;
    shutdown();
  }
});
// The emulator is gone (even killed): leave no process behind.
process.on("disconnect", () => {
  stopping = true;
  shutdown();
});
