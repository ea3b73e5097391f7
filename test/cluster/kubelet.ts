/**
 * A kubelet for one simulated node: runs each container of the pods bound to it as a real local
 * process, reports Pending → Running → Succeeded/Failed with exit codes and reasons, restarts by
 * policy, and honours deletion with a grace period.
 */
import { join } from "node:path";
import type { Api } from "./api.ts";
import { now } from "./clock.ts";
import { ApiError } from "./errors.ts";
import { recordEvent } from "./events.ts";
import type { Launcher } from "./launcher.ts";
import type { KubeObject, ResourceType } from "./resources.ts";
import { all, exitCodeOf, podStatus, type ContainerRun, type PodRun, type PodStatus } from "./pod-status.ts";
import {
  commandLine,
  environment,
  mountsOf,
  prepareVolumes,
  SetupError,
  type Container,
  type Images,
} from "./pod-setup.ts";

const RESTART_DELAY_MS = 100;

export interface KubeletOptions {
  readonly api: Api;
  readonly node: string;
  readonly nodeDir: string;
  readonly podIp: (n: number) => string;
  readonly hostIp: string;
  readonly images: Images;
  readonly launcher: Launcher;
}

export class Kubelet {
  readonly #o: KubeletOptions;
  readonly #pods: ResourceType;
  readonly #runs = new Map<string, PodRun>();
  #ips = 0;
  readonly #source: { component: string; host: string };
  /** Cut off from the API server: processes go on, nothing is seen or reported. */
  #partitioned = false;
  /** The node is gone (or the emulator stops): nothing runs any more. */
  #stopped = false;

  constructor(options: KubeletOptions) {
    this.#o = options;
    this.#source = { component: "kubelet", host: options.node };
    const pods = options.api.registry.get("", "v1", "pods");
    if (!pods) throw new Error("pods are not registered");
    this.#pods = pods;
  }

  get node(): string {
    return this.#o.node;
  }

  /** Called for every state of a pod bound to this node (undefined: the pod is gone). */
  sync(uid: string, pod: KubeObject | undefined): void {
    if (this.#partitioned || this.#stopped) return;
    const run = this.#runs.get(uid);
    if (!pod) {
      if (run) this.#forget(run, "SIGKILL");
      return;
    }
    const phase = (pod.status as { phase?: string })?.phase;
    if (!run) {
      if (pod.metadata.deletionTimestamp || phase === "Succeeded" || phase === "Failed") {
        if (pod.metadata.deletionTimestamp) this.#finishDeletion(pod);
        return;
      }
      this.#start(pod);
      return;
    }
    if (pod.metadata.deletionTimestamp && !run.terminating) this.#terminate(run, pod);
  }

  /** Kills a container's process as the kernel would; the exit is reported as given. */
  kill(uid: string, exit: { exitCode: number; reason: string }, container?: string): boolean {
    const run = this.#runs.get(uid);
    const target = run && all(run).find((c) => c.process && (!container || c.spec.name === container));
    if (!target?.process) return false;
    target.override = exit;
    target.process.kill("SIGKILL");
    return true;
  }

  /** A network partition: containers keep running (and restarting) but the kubelet neither hears nor reports. */
  partition(): void {
    this.#partitioned = true;
  }

  /** The partition ends: catch up with the pods bound to this node now, then report every pod. */
  heal(pods: readonly KubeObject[]): void {
    this.#partitioned = false;
    const byUid = new Map(pods.map((p) => [p.metadata.uid ?? "", p]));
    for (const run of [...this.#runs.values()]) {
      const pod = byUid.get(run.uid);
      if (!pod) this.#forget(run, "SIGKILL");
      else if (!pod.metadata.deletionTimestamp) this.#report(run);
      else if (!run.terminating) this.#terminate(run, pod);
      else if (all(run).every((c) => !c.process)) this.#finishDeletion(pod, run);
    }
    for (const [uid, pod] of byUid) if (!this.#runs.has(uid)) this.sync(uid, pod);
  }

  /** Kills every process without reporting anything: the node is lost, or the emulator stops. */
  stop(): void {
    this.#stopped = true;
    for (const run of [...this.#runs.values()]) this.#forget(run, "SIGKILL");
  }

  #forget(run: PodRun, signal: NodeJS.Signals): void {
    this.#runs.delete(run.uid);
    clearTimeout(run.killTimer);
    clearTimeout(run.deadlineTimer);
    for (const t of run.restartTimers) clearTimeout(t);
    for (const c of all(run)) c.process?.kill(signal);
  }

  #start(pod: KubeObject): void {
    const uid = pod.metadata.uid ?? "";
    const spec = pod.spec as {
      containers: Container[];
      initContainers?: Container[];
      restartPolicy?: string;
    };
    const init = spec.initContainers ?? [];
    const fresh = (c: Container, reason: string): ContainerRun => ({
      spec: c,
      state: { waiting: { reason } },
      restartCount: 0,
    });
    const run: PodRun = {
      uid,
      namespace: pod.metadata.namespace ?? "",
      name: pod.metadata.name ?? "",
      dir: join(this.#o.nodeDir, "pods", uid),
      containers: spec.containers.map((c) =>
        fresh(c, init.length > 0 ? "PodInitializing" : "ContainerCreating"),
      ),
      init: init.map((c) => fresh(c, "PodInitializing")),
      initialized: init.length === 0,
      initFailed: false,
      restartPolicy: spec.restartPolicy ?? "Always",
      terminating: false,
      restartTimers: new Set(),
    };
    this.#runs.set(uid, run);
    const deadline = (pod.spec as { activeDeadlineSeconds?: number }).activeDeadlineSeconds;
    if (deadline !== undefined)
      run.deadlineTimer = setTimeout(() => this.#exceedDeadline(run), deadline * 1000);
    let volumes: Map<string, string>;
    try {
      volumes = prepareVolumes(this.#o.api.store, pod, this.#o.nodeDir, run.dir);
    } catch (e) {
      if (!(e instanceof SetupError)) throw e;
      for (const c of all(run)) c.state = { waiting: { reason: e.reason, message: e.message } };
      this.#report(run);
      return;
    }
    if (run.init.length > 0) this.#launchInit(run, 0, pod, volumes);
    else this.#launchContainers(run, pod, volumes);
    this.#report(run);
  }

  #launchContainers(run: PodRun, pod: KubeObject, volumes: Map<string, string>): void {
    for (const c of run.containers)
      this.#launch(run, c, pod, volumes, () => this.#afterExit(run, c, pod, volumes));
  }

  #launchInit(run: PodRun, i: number, pod: KubeObject, volumes: Map<string, string>): void {
    const c = run.init[i];
    this.#launch(run, c, pod, volumes, () => {
      const code = "terminated" in c.state ? c.state.terminated.exitCode : 0;
      if (code === 0) {
        if (i + 1 < run.init.length) {
          this.#launchInit(run, i + 1, pod, volumes);
        } else {
          run.initialized = true;
          this.#launchContainers(run, pod, volumes);
        }
      } else if (run.restartPolicy === "Never" || run.terminating || run.deadlineExceeded) {
        run.initFailed = true;
      } else {
        this.#restartLater(run, c, () => this.#launchInit(run, i, pod, volumes));
      }
      this.#report(run);
      if (run.terminating && all(run).every((x) => !x.process)) this.#finishDeletion(pod, run);
    });
  }

  #exceedDeadline(run: PodRun): void {
    if (!this.#runs.has(run.uid)) return;
    run.deadlineExceeded = true;
    for (const t of run.restartTimers) clearTimeout(t);
    run.restartTimers.clear();
    for (const c of all(run)) c.process?.kill("SIGKILL");
    this.#report(run);
  }

  #restartLater(run: PodRun, c: ContainerRun, relaunch: () => void): void {
    const timer = setTimeout(() => {
      run.restartTimers.delete(timer);
      if (!this.#runs.has(run.uid) || run.terminating || run.deadlineExceeded) return;
      c.lastState = c.state;
      c.restartCount++;
      relaunch();
      this.#report(run);
    }, RESTART_DELAY_MS);
    run.restartTimers.add(timer);
  }

  #launch(
    run: PodRun,
    c: ContainerRun,
    pod: KubeObject,
    volumes: Map<string, string>,
    after: () => void,
  ): void {
    let argv: string[];
    let env: Record<string, string>;
    try {
      const mounts = mountsOf(c.spec, volumes);
      argv = commandLine(this.#o.images, c.spec, mounts);
      env = environment(this.#o.api.store, pod, c.spec, mounts);
    } catch (e) {
      if (!(e instanceof SetupError)) throw e;
      c.state = { waiting: { reason: e.reason, message: e.message } };
      recordEvent(this.#o.api, pod, "Warning", "Failed", `Error: ${e.message}`, this.#source);
      return;
    }
    const startedAt = now();
    c.state = { running: { startedAt } };
    recordEvent(this.#o.api, pod, "Normal", "Started", `Started container ${c.spec.name}`, this.#source);
    const log = join(run.dir, "logs", `${c.spec.name}.log`);
    c.process = this.#o.launcher.start({ argv, cwd: run.dir, env, log }, (exit) => {
      c.process = undefined;
      if (!this.#runs.has(run.uid) || this.#stopped) return;
      const override = c.override;
      c.override = undefined;
      const code = exit.error ? 128 : exitCodeOf(exit.code, exit.signal);
      const reason = exit.error ? "StartError" : code === 0 ? "Completed" : "Error";
      c.state = {
        terminated: {
          exitCode: override?.exitCode ?? code,
          reason: override?.reason ?? reason,
          startedAt,
          finishedAt: now(),
          ...(exit.error ? { message: exit.error } : {}),
        },
      };
      after();
    });
  }

  #afterExit(run: PodRun, c: ContainerRun, pod: KubeObject, volumes: Map<string, string>): void {
    const code = "terminated" in c.state ? c.state.terminated.exitCode : 0;
    const restart =
      !run.terminating &&
      !run.deadlineExceeded &&
      (run.restartPolicy === "Always" || (run.restartPolicy === "OnFailure" && code !== 0));
    if (restart) {
      this.#restartLater(run, c, () =>
        this.#launch(run, c, pod, volumes, () => this.#afterExit(run, c, pod, volumes)),
      );
    }
    this.#report(run);
    if (run.terminating && all(run).every((x) => !x.process)) this.#finishDeletion(pod, run);
  }

  #terminate(run: PodRun, pod: KubeObject): void {
    run.terminating = true;
    for (const t of run.restartTimers) clearTimeout(t);
    run.restartTimers.clear();
    const live = all(run).filter((c) => c.process);
    if (live.length === 0) return this.#finishDeletion(pod, run);
    for (const c of live) {
      recordEvent(this.#o.api, pod, "Normal", "Killing", `Stopping container ${c.spec.name}`, this.#source);
      c.process?.kill("SIGTERM");
    }
    const grace = pod.metadata.deletionGracePeriodSeconds ?? 30;
    run.killTimer = setTimeout(() => {
      for (const c of all(run)) c.process?.kill("SIGKILL");
    }, grace * 1000);
  }

  /** The kubelet's last word on a deleted pod: the final status, then removal (grace 0). */
  #finishDeletion(pod: KubeObject, run?: PodRun): void {
    if (this.#partitioned) return;
    if (run) {
      this.#report(run);
      this.#runs.delete(run.uid);
      clearTimeout(run.killTimer);
    }
    try {
      this.#o.api.delete(this.#pods, pod.metadata.namespace, pod.metadata.name ?? "", {
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata.uid },
      });
    } catch (e) {
      if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) throw e;
    }
  }

  #report(run: PodRun): void {
    if (this.#partitioned || this.#stopped) return;
    const pod = this.#o.api.store.get("/pods", run.namespace, run.name);
    if (!pod || pod.metadata.uid !== run.uid) return;
    const next = podStatus(run, (pod.status ?? {}) as PodStatus, this.#o.hostIp, () =>
      this.#o.podIp(++this.#ips),
    );
    this.#o.api.update(
      this.#pods,
      run.namespace,
      run.name,
      { ...pod, status: next },
      { subresource: "status" },
    );
  }
}
