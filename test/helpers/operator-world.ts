/**
 * The world the operator's end-to-end tests run in: the Kubernetes emulator (worker pods run this checkout),
 * the ImageChain CRD applied, an S3 server (s3rver) with a generated scene at s3://src/scene.tif and an
 * `out` bucket, and the Secret `s3-creds` its chains name.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { V1Pod } from "@kubernetes/client-node";
import { readFile, rm } from "node:fs/promises";
import { stringify } from "yaml";
import { startController, type Controller, type ControllerOptions } from "../../operator/kube/controller.ts";
import { CRD_FILE } from "../../operator/spec/crd.ts";
import { startCluster, type Cluster } from "../cluster/cluster.ts";
import { kubectlFor, type Kubectl } from "../cluster/kubectl.ts";
import type { ApiServerOptions } from "../cluster/server.ts";
import { kubeConfigOf } from "../cluster/testing.ts";
import { makeScene, ndviChain, type Scene } from "../run/fixtures.ts";
import { startS3, type S3Fixture } from "./s3rver.ts";
import { unshadowed, WORKER_COMMAND } from "./worker-pods.ts";

export interface World {
  readonly s3: S3Fixture;
  readonly scene: Scene;
  readonly cluster: Cluster;
  readonly kubectl: Kubectl;
  /** The `s3-creds` Secret (the s3rver keys) of a namespace, as YAML for `kubectl apply -f -`. */
  secret(namespace: string): string;
  /** The NDVI + gaussian chain reading s3://src/scene.tif on this world's S3, in two lanes of small batches. */
  chainDoc(name: string, output: string, options?: ChainOptions): ChainDoc;
  /**
   * The controller in this process, as `imagechain operator` runs it, watching "default" unless told:
   * worker pods run this checkout with the s3rver keys; `adjust` sees (and may change) each pod it creates.
   */
  startOperator(options?: OperatorOptions): Controller;
  stop(): Promise<void>;
}

export interface ChainOptions {
  readonly namespace?: string;
  readonly tileSize?: number;
  readonly tasksPerPod?: number;
  /** Replaces or adds `execution` fields (parallelism 2 by default). */
  readonly execution?: Record<string, unknown>;
  /** Further spec fields (suspend, ttlSecondsAfterFinished, …). */
  readonly spec?: Record<string, unknown>;
}

type NdviDoc = ReturnType<typeof ndviChain>;
export type OperatorOptions = Partial<Omit<ControllerOptions, "decoratePod">> & {
  readonly adjust?: (pod: V1Pod) => void;
};

/** Make a worker pod exit 1 at once, as a transient failure would. */
export function failAtOnce(pod: V1Pod): void {
  const c = pod.spec!.containers[0]!;
  [c.command, c.args] = [[process.execPath, "-e", "process.exit(1)"], []];
}

export type ChainDoc = NdviDoc & {
  metadata: { name: string; namespace: string };
  spec: NdviDoc["spec"] & { storage: { s3: { endpoint: string; credentialsSecret: string } } };
};

export async function startWorld(
  options: { nodes?: number; width?: number; height?: number; server?: ApiServerOptions } = {},
): Promise<World> {
  const [s3, scene, cluster] = await Promise.all([
    startS3(),
    makeScene(options.width ?? 300, options.height ?? 200),
    startCluster({
      nodes: options.nodes ?? 2,
      images: { "imagechain/worker": { command: WORKER_COMMAND } },
      ...(options.server ? { server: options.server } : {}),
    }),
  ]);
  await Promise.all([s3.createBucket("src"), s3.createBucket("out")]);
  await s3.client.send(
    new PutObjectCommand({ Bucket: "src", Key: "scene.tif", Body: await readFile(scene.path) }),
  );
  const kubectl = await kubectlFor(cluster.server.kubeconfig());
  await kubectl(["apply", "-f", CRD_FILE]);
  await kubectl(["wait", "--for=condition=Established", "crd/imagechains.imagechain.io", "--timeout=10s"]);
  const secret = (namespace: string) => {
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    return stringify({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s3-creds", namespace },
      data: { AWS_ACCESS_KEY_ID: b64("S3RVER"), AWS_SECRET_ACCESS_KEY: b64("S3RVER") },
    });
  };
  await kubectl(["apply", "-f", "-"], secret("default"));
  return {
    s3,
    scene,
    cluster,
    kubectl,
    secret,
    chainDoc(name, output, o = {}) {
      const doc = ndviChain("s3://src/scene.tif", output, {
        tasksPerPod: o.tasksPerPod ?? 4,
        ...(o.tileSize ? { tileSize: o.tileSize } : {}),
      });
      return {
        ...doc,
        metadata: { name, namespace: o.namespace ?? "default" },
        spec: {
          ...doc.spec,
          storage: {
            s3: {
              endpoint: s3.options.endpoint!,
              region: "us-east-1",
              forcePathStyle: true,
              credentialsSecret: "s3-creds",
            },
          },
          execution: { ...doc.spec.execution, parallelism: 2, ...o.execution },
          ...o.spec,
        },
      };
    },
    startOperator({ adjust, ...options } = {}) {
      return startController({
        kc: kubeConfigOf(cluster.server),
        namespace: "default",
        image: "imagechain/worker:dev",
        command: WORKER_COMMAND,
        credentials: s3.options.credentials,
        ...options,
        decoratePod: (pod) => {
          adjust?.(pod);
          return unshadowed(pod);
        },
      });
    },
    async stop() {
      await cluster.stop();
      await kubectl.cleanup();
      await s3.stop();
      await rm(scene.dir, { recursive: true, force: true });
    },
  };
}
