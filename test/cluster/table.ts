/** `as=Table` output: the rows `kubectl get` prints, with a CRD's additionalPrinterColumns. */
import { jsonPath } from "./json.ts";
import type { KubeObject, PrinterColumn, ResourceType } from "./resources.ts";

export function age(timestamp: unknown, nowMs = Date.now()): string {
  if (typeof timestamp !== "string") return "<unknown>";
  const s = Math.max(0, Math.floor((nowMs - Date.parse(timestamp)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

function podCell(pod: KubeObject, column: string): unknown {
  const status = (pod.status ?? {}) as {
    phase?: string;
    containerStatuses?: {
      ready?: boolean;
      restartCount?: number;
      state?: { terminated?: { reason?: string }; waiting?: { reason?: string } };
    }[];
  };
  const containers = ((pod.spec as { containers?: unknown[] })?.containers ?? []).length;
  const statuses = status.containerStatuses ?? [];
  switch (column) {
    case "Ready":
      return `${statuses.filter((c) => c.ready).length}/${containers}`;
    case "Restarts":
      return statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0);
    case "Status": {
      if (pod.metadata.deletionTimestamp) return "Terminating";
      const reason = statuses
        .map((c) => c.state?.terminated?.reason ?? c.state?.waiting?.reason)
        .find(Boolean);
      return reason ?? status.phase ?? "Unknown";
    }
    default:
      return undefined;
  }
}

function nodeStatus(node: KubeObject): string {
  const conditions = (node.status as { conditions?: { type: string; status: string }[] })?.conditions ?? [];
  const ready = conditions.find((c) => c.type === "Ready");
  const base = ready?.status === "True" ? "Ready" : ready ? "NotReady" : "Unknown";
  return (node.spec as { unschedulable?: boolean })?.unschedulable ? `${base},SchedulingDisabled` : base;
}

function cell(type: ResourceType, object: KubeObject, column: PrinterColumn): unknown {
  if (type.group === "" && type.kind === "Pod" && column.jsonPath === "") return podCell(object, column.name);
  if (type.group === "" && type.kind === "Node" && column.jsonPath === "") return nodeStatus(object);
  const value = jsonPath(object, column.jsonPath);
  if (column.type === "date") return age(value);
  if (value === undefined || value === null) return null;
  return typeof value === "object" ? JSON.stringify(value) : value;
}

function columnsOf(type: ResourceType): PrinterColumn[] {
  const name: PrinterColumn = {
    name: "Name",
    type: "string",
    jsonPath: ".metadata.name",
    format: "name",
    description: "Name must be unique within a namespace.",
  };
  const ageColumn: PrinterColumn = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" };
  const custom = type.columns;
  const hasAge = custom.some((c) => c.name === "Age");
  return type.custom && custom.length > 0
    ? [name, ...custom]
    : [name, ...custom, ...(hasAge ? [] : [ageColumn])];
}

export function toTable(
  type: ResourceType,
  objects: readonly KubeObject[],
  resourceVersion: string,
  includeObject: string,
): Record<string, unknown> {
  const columns = columnsOf(type);
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: { resourceVersion },
    columnDefinitions: columns.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? "",
      description: c.description ?? "",
      priority: c.priority ?? 0,
    })),
    rows: objects.map((o) => ({
      cells: columns.map((c) => cell(type, o, c)),
      object:
        includeObject === "None"
          ? undefined
          : includeObject === "Object"
            ? o
            : { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: o.metadata },
    })),
  };
}
