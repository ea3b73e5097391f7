/**
 * The local-path provisioner: a PersistentVolume per claim, made on the node of its first
 * consumer as a real directory of that node, removed with its claim (reclaim policy Delete).
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Api } from "./api.ts";
import { now } from "./clock.ts";
import { ApiError } from "./errors.ts";
import type { KubeObject, ResourceType } from "./resources.ts";
import type { StoreEvent } from "./store.ts";

export const LOCAL_PATH = "local-path";
export const PROVISIONER = "rancher.io/local-path";

interface ClaimSpec {
  storageClassName?: string;
  volumeName?: string;
  accessModes?: string[];
  resources?: { requests?: { storage?: string } };
}

function typeOf(api: Api, plural: string, group = ""): ResourceType {
  const t = api.registry.get(group, "v1", plural);
  if (!t) throw new Error(`${plural} are not registered`);
  return t;
}

export class LocalStorage {
  readonly #api: Api;
  readonly root: string;
  readonly #unsubscribe: () => void;

  constructor(api: Api, root: string) {
    this.#api = api;
    this.root = root;
    this.#unsubscribe = api.store.subscribe((e) => this.#observe(e));
    const classes = typeOf(api, "storageclasses", "storage.k8s.io");
    api.create(classes, undefined, {
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: { name: LOCAL_PATH, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
      provisioner: PROVISIONER,
      reclaimPolicy: "Delete",
      volumeBindingMode: "WaitForFirstConsumer",
    });
  }

  stop(): void {
    this.#unsubscribe();
  }

  nodeDir(node: string): string {
    return join(this.root, "nodes", node);
  }

  /** Whether the claim's class binds on first consumer through this provisioner. */
  provisions(claim: KubeObject): boolean {
    const spec = claim.spec as ClaimSpec;
    const className = spec.storageClassName ?? LOCAL_PATH;
    const sc = this.#api.store.get("storage.k8s.io/storageclasses", undefined, className);
    return sc?.provisioner === PROVISIONER && sc.volumeBindingMode === "WaitForFirstConsumer";
  }

  /** Makes the claim's volume on `node` and binds the claim to it. */
  provision(claim: KubeObject, node: string): void {
    const spec = claim.spec as ClaimSpec;
    const name = `pvc-${claim.metadata.uid}`;
    const path = join(this.nodeDir(node), "volumes", name);
    mkdirSync(path, { recursive: true });
    this.#api.create(typeOf(this.#api, "persistentvolumes"), undefined, {
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name, annotations: { "pv.kubernetes.io/provisioned-by": PROVISIONER } },
      spec: {
        capacity: { storage: spec.resources?.requests?.storage ?? "1Gi" },
        accessModes: spec.accessModes ?? ["ReadWriteOnce"],
        persistentVolumeReclaimPolicy: "Delete",
        storageClassName: spec.storageClassName ?? LOCAL_PATH,
        claimRef: {
          kind: "PersistentVolumeClaim",
          namespace: claim.metadata.namespace,
          name: claim.metadata.name,
          uid: claim.metadata.uid,
        },
        local: { path },
        nodeAffinity: {
          required: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [node] }] },
            ],
          },
        },
      },
    });
    const claims = typeOf(this.#api, "persistentvolumeclaims");
    const annotations = {
      ...claim.metadata.annotations,
      "volume.kubernetes.io/selected-node": node,
      "pv.kubernetes.io/bind-completed": "yes",
    };
    const bound = this.#api.update(claims, claim.metadata.namespace, claim.metadata.name ?? "", {
      ...claim,
      metadata: { ...claim.metadata, annotations },
      spec: { ...spec, volumeName: name, storageClassName: spec.storageClassName ?? LOCAL_PATH },
    });
    const capacity = { storage: spec.resources?.requests?.storage ?? "1Gi" };
    this.#api.update(
      claims,
      claim.metadata.namespace,
      claim.metadata.name ?? "",
      {
        ...bound,
        status: {
          phase: "Bound",
          accessModes: spec.accessModes ?? ["ReadWriteOnce"],
          capacity,
          lastPhaseTransitionTime: now(),
        },
      },
      { subresource: "status" },
    );
  }

  /** Drops everything a node held on its disk: its local volumes' data is gone. */
  loseNode(node: string): void {
    rmSync(this.nodeDir(node), { recursive: true, force: true });
  }

  #observe(e: StoreEvent): void {
    if (e.type !== "DELETED") return;
    if (e.key === "/persistentvolumeclaims") {
      const volume = (e.object.spec as ClaimSpec).volumeName;
      if (!volume) return;
      setImmediate(() => this.#release(volume));
    } else if (e.key === "/persistentvolumes") {
      const path = (e.object.spec as { local?: { path?: string } }).local?.path;
      if (path && path.startsWith(this.root)) rmSync(path, { recursive: true, force: true });
    }
  }

  #release(volume: string): void {
    const pvs = typeOf(this.#api, "persistentvolumes");
    const pv = this.#api.store.get("/persistentvolumes", undefined, volume);
    if (
      !pv ||
      (pv.spec as { persistentVolumeReclaimPolicy?: string }).persistentVolumeReclaimPolicy !== "Delete"
    )
      return;
    try {
      this.#api.delete(pvs, undefined, volume);
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
    }
  }
}
