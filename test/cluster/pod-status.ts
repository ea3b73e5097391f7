/**
 * What the kubelet knows of a pod it runs, and the pod status it derives from that: phase,
 * conditions and container statuses, as a pure function of the run and the previous status.
 */
import { constants } from "node:os";
import { now } from "./clock.ts";
import type { Launched } from "./launcher.ts";
import type { Container } from "./pod-setup.ts";

export type State =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | {
      terminated: {
        exitCode: number;
        reason: string;
        startedAt: string;
        finishedAt: string;
        message?: string;
      };
    };

export interface ContainerRun {
  readonly spec: Container;
  process?: Launched;
  state: State;
  lastState?: State;
  restartCount: number;
  /** Set by fault injection: how the next exit is reported. */
  override?: { exitCode: number; reason: string };
}

export interface PodRun {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly dir: string;
  readonly containers: ContainerRun[];
  /** Init containers run one at a time, in order, before the containers start. */
  readonly init: ContainerRun[];
  initialized: boolean;
  initFailed: boolean;
  readonly restartPolicy: string;
  terminating: boolean;
  killTimer?: NodeJS.Timeout;
  restartTimers: Set<NodeJS.Timeout>;
  /** activeDeadlineSeconds ran out: containers are killed and not restarted. */
  deadlineExceeded?: boolean;
  deadlineTimer?: NodeJS.Timeout;
}

export type PodStatus = Record<string, unknown> & {
  conditions?: { type: string; status: string; lastTransitionTime?: string }[];
  podIP?: string;
  startTime?: string;
};

function containerStatus(run: PodRun, c: ContainerRun): Record<string, unknown> {
  return {
    name: c.spec.name,
    image: c.spec.image,
    imageID: `emulator://${c.spec.image}`,
    containerID: `emulator://${run.uid}/${c.spec.name}/${c.restartCount}`,
    ready:
      "running" in c.state ||
      ("terminated" in c.state && run.init.includes(c) && c.state.terminated.exitCode === 0),
    started: "running" in c.state,
    restartCount: c.restartCount,
    state: c.state,
    lastState: c.lastState ?? {},
  };
}

export function all(run: PodRun): ContainerRun[] {
  return [...run.init, ...run.containers];
}

export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal ? (constants.signals[signal] ?? 9) : 9);
}

export function phaseOf(run: PodRun): string {
  if (run.deadlineExceeded && all(run).every((c) => !c.process)) return "Failed";
  if (!run.initialized) return run.initFailed ? "Failed" : "Pending";
  const states = run.containers.map((c) => c.state);
  const pendingRestart = run.restartTimers.size > 0;
  if (states.every((s) => "terminated" in s) && !pendingRestart) {
    return states.every((s) => "terminated" in s && s.terminated.exitCode === 0) ? "Succeeded" : "Failed";
  }
  if (
    states.some((s) => "running" in s) ||
    pendingRestart ||
    run.containers.some((c) => c.restartCount > 0)
  ) {
    return "Running";
  }
  return "Pending";
}

export function podStatus(
  run: PodRun,
  status: PodStatus,
  hostIp: string,
  allocateIp: () => string,
): PodStatus {
  const phase = phaseOf(run);
  // Containers stopped by deletion before finishing leave the pod Failed.
  const final =
    run.terminating && all(run).every((c) => !c.process) && phase === "Running" ? "Failed" : phase;
  const ready = run.containers.every((c) => "running" in c.state);
  const before = new Map((status.conditions ?? []).map((c) => [c.type, c]));
  // A condition's lastTransitionTime moves only when its status does.
  const condition = (type: string, ok: boolean) => {
    const value = ok ? "True" : "False";
    const old = before.get(type);
    const at = old?.status === value ? (old.lastTransitionTime ?? now()) : now();
    return { type, status: value, lastProbeTime: null, lastTransitionTime: at };
  };
  const keep = (status.conditions ?? []).filter(
    (c) => !["Initialized", "Ready", "ContainersReady"].includes(c.type),
  );
  const podIP = status.podIP ?? allocateIp();
  return {
    ...status,
    phase: final,
    hostIP: hostIp,
    hostIPs: [{ ip: hostIp }],
    podIP,
    podIPs: [{ ip: podIP }],
    startTime: status.startTime ?? now(),
    ...(run.deadlineExceeded
      ? {
          reason: "DeadlineExceeded",
          message: "Pod was active on the node longer than the specified deadline",
        }
      : {}),
    conditions: [
      ...keep,
      condition("Initialized", run.initialized),
      condition("Ready", ready && !run.terminating),
      condition("ContainersReady", ready),
    ],
    containerStatuses: run.containers.map((c) => containerStatus(run, c)),
    ...(run.init.length > 0 ? { initContainerStatuses: run.init.map((c) => containerStatus(run, c)) } : {}),
  };
}
