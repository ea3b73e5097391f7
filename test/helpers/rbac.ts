/**
 * Kubernetes RBAC, as much as a test needs to compare what a process did with what a chart grants:
 * a request path as the API server's RequestInfo sees it (verb, API group, resource, subresource,
 * namespace, name), the rules a ServiceAccount gets from rendered Roles, ClusterRoles and bindings, and
 * whether they allow a request.
 */
import type { Manifest } from "./helm.ts";

export interface ResourceRequest {
  readonly verb: string;
  readonly group: string;
  /** With the subresource: `pods/log`. */
  readonly resource: string;
  /** Absent for a cluster-wide request (cluster-scoped resources, or lists across namespaces). */
  readonly namespace?: string;
  readonly name?: string;
}

export interface PolicyRule {
  readonly apiGroups?: readonly string[];
  readonly resources?: readonly string[];
  readonly verbs: readonly string[];
  readonly resourceNames?: readonly string[];
}

/** The rules granted in one namespace, or cluster-wide (`namespace` absent). */
export interface Grant {
  readonly namespace?: string;
  readonly rules: readonly PolicyRule[];
  /** Where the grant comes from: `ClusterRole/x via ClusterRoleBinding/y`. */
  readonly source: string;
}

/** The resource request a method and path make; null for non-resource URLs (/version, /api discovery). */
export function resourceRequest(
  method: string,
  path: string,
  query: URLSearchParams,
): ResourceRequest | null {
  const parts = path.split("/").filter(Boolean);
  let rest: string[];
  let group: string;
  if (parts[0] === "api" && parts.length >= 3) [group, rest] = ["", parts.slice(2)];
  else if (parts[0] === "apis" && parts.length >= 4) [group, rest] = [parts[1]!, parts.slice(3)];
  else return null;
  let namespace: string | undefined;
  // namespaces/{ns}/{resource}…; a bare namespaces/{name} is the namespace object itself.
  if (rest[0] === "namespaces" && rest.length >= 3) [namespace, rest] = [rest[1], rest.slice(2)];
  const [resource, name, subresource] = rest as [string, string?, string?];
  const watching = query.get("watch") === "true" || query.get("watch") === "1";
  const verb =
    method === "GET"
      ? name === undefined
        ? watching
          ? "watch"
          : "list"
        : "get"
      : method === "POST"
        ? "create"
        : method === "PUT"
          ? "update"
          : method === "PATCH"
            ? "patch"
            : method === "DELETE"
              ? name === undefined
                ? "deletecollection"
                : "delete"
              : method.toLowerCase();
  return {
    verb,
    group,
    resource: subresource ? `${resource}/${subresource}` : resource,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined && verb !== "create" ? { name } : {}),
  };
}

/** The grants a ServiceAccount receives from the rendered bindings. */
export function grantsOf(
  objects: readonly Manifest[],
  account: { name: string; namespace: string },
): Grant[] {
  const role = (kind: string, name: string, namespace?: string) =>
    objects.find(
      (o) =>
        o.kind === kind &&
        o.metadata.name === name &&
        (kind === "ClusterRole" || o.metadata.namespace === namespace),
    ) as (Manifest & { rules?: PolicyRule[] }) | undefined;
  const grants: Grant[] = [];
  for (const b of objects) {
    if (b.kind !== "RoleBinding" && b.kind !== "ClusterRoleBinding") continue;
    const subjects = (b.subjects ?? []) as { kind: string; name: string; namespace?: string }[];
    if (
      !subjects.some(
        (s) => s.kind === "ServiceAccount" && s.name === account.name && s.namespace === account.namespace,
      )
    )
      continue;
    const ref = b.roleRef as { kind: string; name: string };
    const r = role(ref.kind, ref.name, b.metadata.namespace);
    if (!r) throw new Error(`${b.kind}/${b.metadata.name} refers to a missing ${ref.kind}/${ref.name}`);
    grants.push({
      ...(b.kind === "RoleBinding" ? { namespace: b.metadata.namespace } : {}),
      rules: r.rules ?? [],
      source: `${ref.kind}/${ref.name} via ${b.kind}/${b.metadata.name}`,
    });
  }
  return grants;
}

const matches = (list: readonly string[] | undefined, value: string) =>
  !!list && (list.includes(value) || list.includes("*"));

export function ruleAllows(rule: PolicyRule, r: ResourceRequest): boolean {
  return (
    matches(rule.verbs, r.verb) &&
    matches(rule.apiGroups, r.group) &&
    matches(rule.resources, r.resource) &&
    (!rule.resourceNames?.length || (r.name !== undefined && rule.resourceNames.includes(r.name)))
  );
}

/** The grants that allow `r`: a namespaced grant only within its namespace. */
export function allowedBy(grants: readonly Grant[], r: ResourceRequest): Grant[] {
  return grants.filter(
    (g) =>
      (g.namespace === undefined || g.namespace === r.namespace) &&
      g.rules.some((rule) => ruleAllows(rule, r)),
  );
}
