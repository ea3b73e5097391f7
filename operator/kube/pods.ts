import type {
  V1Affinity,
  V1Container,
  V1EnvVar,
  V1Pod,
  V1ResourceRequirements,
  V1Toleration,
  V1Volume,
} from "@kubernetes/client-node";
import type { Plan } from "../plan/plan.ts";
import type { Action } from "../schedule/types.ts";
import type { ImageChainSpec } from "../spec/schema.ts";
import { CHAIN_DIR, CHAIN_FILE, chainConfigName } from "./chain-config.ts";
import { laneVolumeName } from "./lane-claim.ts";
import {
  ANNOTATION,
  LABEL,
  chainLabels,
  formatTaskList,
  objectName,
  ownedMeta,
  type ChainMeta,
} from "./meta.ts";

export type StartBatch = Extract<Action, { type: "StartBatch" }>;

export interface PodContext {
  /** The chain's current spec: `execution` and `storage` may have changed since the plan was made. */
  readonly spec: ImageChainSpec;
  /** The operator's own image (it holds the worker too): used when `execution.worker.image` is unset. */
  readonly image: string;
  /** The worker's entry point inside the image; default `node worker/main.ts` (from the image's workdir). */
  readonly command?: readonly string[];
  /** The `kubernetes.io/hostname` of the node the lane's data is on; null or absent until its first pod lands. */
  readonly laneNode?: string | null;
  /** The generation of the lane's volume: it goes up each time the lane loses its node. Default 0. */
  readonly volume?: number;
  /** Where hostPath scratch lives on a node. Default /var/lib/imagechain. */
  readonly hostPathRoot?: string;
  /** The worker pods' ServiceAccount (one with no rights; its token is not mounted either way). */
  readonly serviceAccountName?: string;
}

export const SCRATCH_DIR = "/scratch";
export const DEFAULT_COMMAND = ["node", "worker/main.ts"] as const;
export const DEFAULT_HOST_PATH_ROOT = "/var/lib/imagechain";
/** Enough for a worker's tile buffers and compressors at the default tile size; pending pods ask for this. */
export const DEFAULT_RESOURCES = {
  requests: { cpu: "1", memory: "1Gi" },
  limits: { memory: "2Gi" },
} as const;
/** A fixed non-root user: the restricted profile needs one when the image does not name one. */
const WORKER_UID = 65532;

/** `<chain>-<uid5>-l<lane>-b<seq>-a<attempt>`: the batch id from the scheduler, then the attempt. */
export function podName(chain: ChainMeta, batch: string, attempt: number): string {
  return objectName(chain, `${batch}-a${attempt}`);
}

/** The pod that runs one batch of the scheduler on `action.lane`'s node. */
export function batchPod(chain: ChainMeta, plan: Plan, action: StartBatch, ctx: PodContext): V1Pod {
  const worker = ctx.spec.execution.worker ?? {};
  const labels = {
    ...chainLabels(chain, "worker"),
    [LABEL.lane]: String(action.lane),
    [LABEL.batch]: action.batch,
    [LABEL.attempt]: String(action.attempt),
    ...(worker.queueName ? { [LABEL.queue]: worker.queueName } : {}),
  };
  const tasks = formatTaskList(action.tasks);
  // Pods of a custom controller block scale-down unless they say they may go: a lost batch is retried.
  const annotations = { [ANNOTATION.safeToEvict]: "true", [ANNOTATION.tasks]: tasks };
  const container: V1Container = {
    name: "worker",
    image: worker.image ?? ctx.image,
    command: [...(ctx.command ?? DEFAULT_COMMAND)],
    args: [
      "run",
      ...["--chain", `${CHAIN_DIR}/${CHAIN_FILE}`],
      ...["--lanes", String(plan.lanes.count), "--lane", String(action.lane)],
      ...["--tasks", tasks, "--scratch", SCRATCH_DIR],
    ],
    env: workerEnv(ctx.spec),
    resources: workerResources(ctx.spec),
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
    },
    volumeMounts: [
      { name: "chain", mountPath: CHAIN_DIR, readOnly: true },
      { name: "scratch", mountPath: SCRATCH_DIR },
      { name: "tmp", mountPath: "/tmp" },
    ],
  };
  const affinity = laneAffinity(ctx.laneNode ?? null);
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: ownedMeta(chain, podName(chain, action.batch, action.attempt), labels, annotations),
    spec: {
      restartPolicy: "Never",
      // The worker never talks to the API server: no token, no service environment variables.
      automountServiceAccountToken: false,
      ...(ctx.serviceAccountName ? { serviceAccountName: ctx.serviceAccountName } : {}),
      enableServiceLinks: false,
      ...(worker.priorityClassName ? { priorityClassName: worker.priorityClassName } : {}),
      ...(worker.nodeSelector ? { nodeSelector: { ...worker.nodeSelector } } : {}),
      ...(worker.tolerations ? { tolerations: worker.tolerations as V1Toleration[] } : {}),
      ...(affinity ? { affinity } : {}),
      securityContext: {
        runAsNonRoot: true,
        runAsUser: WORKER_UID,
        runAsGroup: WORKER_UID,
        fsGroup: WORKER_UID,
        // A lane volume fills with many tiles: a recursive chown at every pod start would cost minutes.
        fsGroupChangePolicy: "OnRootMismatch",
        seccompProfile: { type: "RuntimeDefault" },
      },
      containers: [container],
      volumes: [
        { name: "chain", configMap: { name: chainConfigName(chain) } },
        scratchVolume(chain, ctx, action.lane),
        // The root filesystem is read-only; the COG assembler spools to the temporary directory.
        { name: "tmp", emptyDir: {} },
      ],
    },
  };
}

/** The lane's scratch per `execution.scratch.mode`: its claim, a directory on its node, or the pod's own. */
export function scratchVolume(chain: ChainMeta, ctx: PodContext, lane: number): V1Volume {
  const { scratch } = ctx.spec.execution;
  const name = laneVolumeName(chain, lane, ctx.volume ?? 0);
  switch (scratch.mode) {
    case "volume":
      return { name: "scratch", persistentVolumeClaim: { claimName: name } };
    case "hostPath": {
      const root = (ctx.hostPathRoot ?? DEFAULT_HOST_PATH_ROOT).replace(/\/+$/, "");
      return {
        name: "scratch",
        hostPath: { path: `${root}/${chain.namespace}/${name}`, type: "DirectoryOrCreate" },
      };
    }
    case "none":
      return { name: "scratch", emptyDir: { sizeLimit: scratch.size } };
  }
}

/** Work goes to where its data is: once a lane's node is known, every pod of the lane must run there. */
export function laneAffinity(node: string | null): V1Affinity | null {
  if (node === null) return null;
  return {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          { matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [node] }] },
        ],
      },
    },
  };
}

/** S3 credentials from the Secret the spec names; the session token only when the Secret has one. */
export function workerEnv(spec: ImageChainSpec): V1EnvVar[] {
  const env: V1EnvVar[] = [{ name: "HOME", value: "/tmp" }];
  const secret = spec.storage?.s3?.credentialsSecret;
  if (secret) {
    const key = (name: string, optional?: boolean): V1EnvVar => ({
      name,
      valueFrom: { secretKeyRef: { name: secret, key: name, ...(optional ? { optional } : {}) } },
    });
    env.push(key("AWS_ACCESS_KEY_ID"), key("AWS_SECRET_ACCESS_KEY"), key("AWS_SESSION_TOKEN", true));
  }
  return env;
}

/**
 * The spec's resources as given (a user who sets them knows Kubernetes' rules for requests and limits);
 * else requests a pending pod can scale a cluster up with, plus the scratch size as ephemeral storage
 * when scratch lives in the pod.
 */
export function workerResources(spec: ImageChainSpec): V1ResourceRequirements {
  const given = spec.execution.worker?.resources;
  if (given) return structuredClone(given) as V1ResourceRequirements;
  const { scratch } = spec.execution;
  return {
    requests: {
      ...DEFAULT_RESOURCES.requests,
      ...(scratch.mode === "none" ? { "ephemeral-storage": scratch.size } : {}),
    },
    limits: { ...DEFAULT_RESOURCES.limits },
  };
}
