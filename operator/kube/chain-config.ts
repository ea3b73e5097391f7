import type { V1ConfigMap } from "@kubernetes/client-node";
import { stringify } from "yaml";
import type { ImageChainSpec } from "../spec/schema.ts";
import { API_VERSION, KIND, chainLabels, objectName, ownedMeta, type ChainMeta } from "./meta.ts";

/** Where a worker pod finds the chain: the ConfigMap below, mounted read-only. */
export const CHAIN_DIR = "/etc/imagechain";
export const CHAIN_FILE = "chain.yaml";

export function chainConfigName(chain: ChainMeta): string {
  return objectName(chain, "chain");
}

/**
 * The chain as the worker reads it (`run --chain FILE`): a whole ImageChain document, so that the file
 * in a pod is the one `imagechain run` would take. The spec is the parsed one, defaults filled in, so a
 * worker never re-derives a default differently from the operator that planned.
 */
export function chainConfigMap(chain: ChainMeta, spec: ImageChainSpec): V1ConfigMap {
  const doc = {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: chain.name, namespace: chain.namespace },
    spec,
  };
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: ownedMeta(chain, chainConfigName(chain), chainLabels(chain, "chain")),
    data: { [CHAIN_FILE]: stringify(doc) },
  };
}
