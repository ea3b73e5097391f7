/** The pod phase a kubelet reports, as a table over container states. */
import { describe, expect, it } from "vitest";
import { phaseOf, type ContainerRun, type PodRun, type State } from "./pod-status.ts";

const running: State = { running: { startedAt: "t" } };
const waiting: State = { waiting: { reason: "ContainerCreating" } };
const exited = (exitCode: number): State => ({
  terminated: { exitCode, reason: exitCode ? "Error" : "Completed", startedAt: "t", finishedAt: "t" },
});

function run(states: State[], extra: Partial<PodRun> = {}, restarts = 0): PodRun {
  const containers: ContainerRun[] = states.map((state, i) => ({
    spec: { name: `c${i}`, image: "x" },
    state,
    restartCount: restarts,
  }));
  return {
    uid: "u",
    namespace: "ns",
    name: "p",
    dir: "/tmp",
    containers,
    init: [],
    initialized: true,
    initFailed: false,
    restartPolicy: "Never",
    terminating: false,
    restartTimers: new Set(),
    ...extra,
  };
}

describe("phaseOf", () => {
  it.each([
    ["nothing started yet", run([waiting]), "Pending"],
    ["a container running", run([running, waiting]), "Running"],
    ["all exited 0", run([exited(0), exited(0)]), "Succeeded"],
    ["one exited non-zero", run([exited(0), exited(2)]), "Failed"],
    ["one still running, one failed", run([running, exited(1)]), "Running"],
    ["waiting after a restart", run([waiting], {}, 1), "Running"],
    ["init containers not done", run([waiting], { initialized: false }), "Pending"],
    ["an init container failed", run([waiting], { initialized: false, initFailed: true }), "Failed"],
  ])("%s → %s", (_what, r, expected) => {
    expect(phaseOf(r)).toBe(expected);
  });

  it("stays Running while a restart is pending", () => {
    const timer = setTimeout(() => {}, 0);
    try {
      expect(phaseOf(run([exited(1)], { restartTimers: new Set([timer]) }))).toBe("Running");
    } finally {
      clearTimeout(timer);
    }
  });
});
