/** core/v1 Events from the emulator's controllers, aggregated by object, reason and message as the recorder does. */
import { createHash } from "node:crypto";
import type { Api } from "./api.ts";
import { now } from "./clock.ts";
import { ApiError } from "./errors.ts";
import type { KubeObject } from "./resources.ts";

export interface EventSource {
  readonly component: string;
  readonly host?: string;
}

/** Records an event; like the real recorder it is best effort (a namespace being deleted refuses new events). */
export function recordEvent(
  api: Api,
  object: KubeObject,
  type: "Normal" | "Warning",
  reason: string,
  message: string,
  source: EventSource,
): void {
  const events = api.registry.get("", "v1", "events");
  if (!events) return;
  const namespace = object.metadata.namespace ?? "default";
  const digest = createHash("sha1")
    .update(`${object.metadata.uid}\u0000${reason}\u0000${message}`)
    .digest("hex")
    .slice(0, 16);
  const name = `${object.metadata.name}.${digest}`;
  const at = now();
  try {
    const existing = api.store.get("/events", namespace, name);
    if (existing) {
      api.update(events, namespace, name, {
        ...existing,
        count: Number(existing.count ?? 1) + 1,
        lastTimestamp: at,
      });
      return;
    }
    const [group, version] = String(object.apiVersion ?? "v1").includes("/")
      ? String(object.apiVersion).split("/")
      : ["", String(object.apiVersion ?? "v1")];
    api.create(events, namespace, {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: group ? `${group}/${version}` : version,
        kind: object.kind,
        name: object.metadata.name,
        namespace: object.metadata.namespace,
        uid: object.metadata.uid,
        resourceVersion: object.metadata.resourceVersion,
      },
      type,
      reason,
      message,
      source,
      reportingComponent: source.component,
      reportingInstance: source.host ?? "",
      firstTimestamp: at,
      lastTimestamp: at,
      count: 1,
    });
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
  }
}
