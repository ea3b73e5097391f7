import type { V1PersistentVolumeClaim } from "@kubernetes/client-node";
import type { ImageChainSpec } from "../spec/schema.ts";
import { LABEL, chainLabels, objectName, ownedMeta, type ChainMeta } from "./meta.ts";

/**
 * `<chain>-<uid5>-l<lane>-v<generation>`: the name of a lane's scratch (claim or host directory). The
 * generation goes up when the lane loses its node, so its fresh volume never meets the lost one's claim
 * (which may linger, Terminating, while its node is gone).
 */
export function laneVolumeName(chain: ChainMeta, lane: number, generation: number): string {
  return objectName(chain, `l${lane}-v${generation}`);
}

/**
 * A lane's scratch claim. With a `WaitForFirstConsumer` class it binds on the node of the lane's first
 * pod; that node is then the lane's, and every later pod of the lane is pinned to it.
 */
export function laneClaim(
  chain: ChainMeta,
  lane: number,
  spec: ImageChainSpec,
  generation = 0,
  defaultStorageClass?: string,
): V1PersistentVolumeClaim {
  const { scratch } = spec.execution;
  const storageClassName = scratch.storageClassName ?? defaultStorageClass;
  const labels = { ...chainLabels(chain, "scratch"), [LABEL.lane]: String(lane) };
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: ownedMeta(chain, laneVolumeName(chain, lane, generation), labels),
    spec: {
      accessModes: ["ReadWriteOnce"],
      volumeMode: "Filesystem",
      ...(storageClassName ? { storageClassName } : {}),
      resources: { requests: { storage: scratch.size } },
    },
  };
}
