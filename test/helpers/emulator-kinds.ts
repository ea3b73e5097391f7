/**
 * The kinds a Helm chart renders that the Kubernetes emulator does not serve (Deployments, Services, RBAC,
 * PodDisruptionBudgets, prometheus-operator's ServiceMonitor), registered on a running emulator as
 * schemaless types: `kubectl apply` of a chart then exercises discovery, kind-to-resource mapping, scope
 * (a namespaced object without a namespace, a cluster-scoped one with one) and server-side apply. Their
 * fields are checked by the tests that read the rendered objects, not by the emulator.
 */
import type { ApiServer } from "../cluster/server.ts";
import { builtin } from "../cluster/resources.ts";

const KINDS: readonly [group: string, version: string, kind: string, plural: string, namespaced: boolean][] =
  [
    ["apps", "v1", "Deployment", "deployments", true],
    ["", "v1", "Service", "services", true],
    ["rbac.authorization.k8s.io", "v1", "Role", "roles", true],
    ["rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true],
    ["rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false],
    ["rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", false],
    ["policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", true],
    ["monitoring.coreos.com", "v1", "ServiceMonitor", "servicemonitors", true],
  ];

export function serveChartKinds(server: ApiServer): void {
  for (const [group, version, kind, plural, namespaced] of KINDS) {
    server.api.registry.put(builtin(group, version, kind, plural, namespaced));
  }
}
