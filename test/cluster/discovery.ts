/** Discovery documents (/api, /apis, group versions), /version and a minimal /openapi/v3. */
import type { Registry, ResourceType } from "./resources.ts";

const VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

export function versionInfo(): Record<string, string> {
  return {
    major: "1",
    minor: "33",
    gitVersion: "v1.33.0-imagechain-emulator",
    gitCommit: "0000000000000000000000000000000000000000",
    gitTreeState: "clean",
    buildDate: "2026-01-01T00:00:00Z",
    goVersion: "go1.24",
    compiler: "gc",
    platform: "linux/amd64",
  };
}

export function coreVersions(host: string): Record<string, unknown> {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: host }],
  };
}

function groups(registry: Registry): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const t of registry.all()) {
    if (t.group === "") continue;
    const versions = out.get(t.group) ?? [];
    for (const v of t.versions) if (!versions.includes(v)) versions.push(v);
    out.set(t.group, versions);
  }
  return out;
}

export function groupList(registry: Registry): Record<string, unknown> {
  return {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: [...groups(registry)].map(([name, versions]) => groupDoc(name, versions)),
  };
}

function groupDoc(name: string, versions: string[]): Record<string, unknown> {
  const list = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions: list, preferredVersion: list[0] };
}

export function group(registry: Registry, name: string): Record<string, unknown> | undefined {
  const versions = groups(registry).get(name);
  return versions ? { kind: "APIGroup", apiVersion: "v1", ...groupDoc(name, versions) } : undefined;
}

function servedIn(registry: Registry, group: string, version: string): ResourceType[] {
  return registry.all().filter((t) => t.group === group && t.versions.includes(version));
}

export function resourceList(
  registry: Registry,
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  const types = servedIn(registry, group, version);
  if (types.length === 0) return undefined;
  const resources = types.flatMap((t) => {
    const main = {
      name: t.plural,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: VERBS,
      ...(t.shortNames.length > 0 ? { shortNames: t.shortNames } : {}),
      ...(t.categories.length > 0 ? { categories: t.categories } : {}),
    };
    const status = {
      name: `${t.plural}/status`,
      singularName: "",
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: ["get", "patch", "update"],
    };
    const binding = {
      name: "pods/binding",
      singularName: "",
      namespaced: true,
      kind: "Binding",
      verbs: ["create"],
    };
    const eviction = {
      name: "pods/eviction",
      singularName: "",
      namespaced: true,
      group: "policy",
      version: "v1",
      kind: "Eviction",
      verbs: ["create"],
    };
    const log = { name: "pods/log", singularName: "", namespaced: true, kind: "Pod", verbs: ["get"] };
    const extra = t.group === "" && t.plural === "pods" ? [binding, eviction, log] : [];
    return t.statusSubresource ? [main, status, ...extra] : [main, ...extra];
  });
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: group ? `${group}/${version}` : version,
    resources,
  };
}

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** The OpenAPI v3 index: one document per group version. */
export function openApiIndex(registry: Registry): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const t of registry.all()) {
    for (const v of t.versions)
      paths[gvPath(t.group, v)] = { serverRelativeURL: `/openapi/v3/${gvPath(t.group, v)}` };
  }
  return { paths };
}

/**
 * A group version's OpenAPI v3 document: only what kubectl reads from it, i.e. that PATCH
 * takes `fieldValidation` (so kubectl leaves validation to the server) and the kinds served.
 */
export function openApiGroupVersion(
  registry: Registry,
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  const types = servedIn(registry, group, version);
  if (types.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  for (const t of types) {
    const base = `/${gvPath(group, version)}${t.namespaced ? "/namespaces/{namespace}" : ""}/${t.plural}/{name}`;
    const gvk = { group, version, kind: t.kind };
    const parameters = [
      { name: "fieldValidation", in: "query", schema: { type: "string", uniqueItems: true } },
    ];
    paths[base] = {
      patch: {
        "x-kubernetes-group-version-kind": gvk,
        "x-kubernetes-action": "patch",
        parameters,
        responses: {},
      },
      put: {
        "x-kubernetes-group-version-kind": gvk,
        "x-kubernetes-action": "put",
        parameters,
        responses: {},
      },
    };
  }
  return {
    openapi: "3.0.0",
    info: { title: "Kubernetes", version: "v1.33.0" },
    paths,
    components: { schemas: {} },
  };
}
