/**
 * Watch streams: newline-delimited JSON events over a chunked response, resumed from a
 * resourceVersion out of the store's history, 410 Expired when that history is gone.
 */
import type { ServerResponse } from "node:http";
import { gone } from "./errors.ts";
import type { KubeObject } from "./resources.ts";
import type { Store, StoreEvent } from "./store.ts";

export interface WatchRequest {
  readonly key: string;
  readonly namespace: string | undefined;
  readonly matches: (object: KubeObject) => boolean;
  readonly resourceVersion: string | undefined;
  readonly bookmarks: boolean;
  readonly sendInitialEvents: boolean;
  readonly timeoutSeconds: number | undefined;
  /** The kind and apiVersion of bookmark objects. */
  readonly kind: string;
  readonly apiVersion: string;
  /** How an object goes on the wire (a Table row for `kubectl get -w`). */
  readonly render: (object: KubeObject) => unknown;
}

export class Watches {
  readonly #store: Store;
  readonly #open = new Set<() => void>();
  readonly #bookmarkMs: number;

  constructor(store: Store, bookmarkMs = 1000) {
    this.#store = store;
    this.#bookmarkMs = bookmarkMs;
  }

  get count(): number {
    return this.#open.size;
  }

  /** Ends every open watch, as an API server restart or a load balancer would. */
  dropAll(): void {
    for (const close of [...this.#open]) close();
  }

  serve(res: ServerResponse, w: WatchRequest): void {
    const inScope = (o: KubeObject) => w.namespace === undefined || o.metadata.namespace === w.namespace;
    const visible = (o: KubeObject | undefined) => o !== undefined && inScope(o) && w.matches(o);
    const send = (type: string, object: unknown) => res.write(`${JSON.stringify({ type, object })}\n`);
    const bookmark = (annotations?: Record<string, string>) =>
      send("BOOKMARK", {
        kind: w.kind,
        apiVersion: w.apiVersion,
        metadata: {
          resourceVersion: String(this.#store.resourceVersion),
          ...(annotations ? { annotations } : {}),
        },
      });
    const deliver = (e: StoreEvent) => {
      if (e.key !== w.key) return;
      const now = visible(e.object);
      if (e.type === "MODIFIED") {
        const before = visible(e.previous);
        if (now) send(before ? "MODIFIED" : "ADDED", w.render(e.object));
        else if (before) send("DELETED", w.render(e.object));
      } else if (now) {
        send(e.type, w.render(e.object));
      }
    };

    res.writeHead(200, {
      "Content-Type": "application/json",
      "Transfer-Encoding": "chunked",
      "Cache-Control": "no-cache",
    });
    // Clients wait for the headers before reading events: send them now, not with the first event.
    res.flushHeaders();
    const rv = w.resourceVersion;
    // sendInitialEvents (the streaming list) starts from the current state whatever the resourceVersion.
    const fromScratch = rv === undefined || rv === "" || rv === "0" || w.sendInitialEvents;
    let backlog: StoreEvent[] = [];
    if (!fromScratch) {
      const history = this.#store.since(Number(rv));
      if (history === undefined) {
        const expired = gone(`too old resource version: ${rv} (${this.#store.oldestResumable})`);
        send("ERROR", expired.toStatus());
        res.end();
        return;
      }
      backlog = history;
    }
    let closed = false;
    const timers: NodeJS.Timeout[] = [];
    const close = () => {
      if (closed) return;
      closed = true;
      unsubscribe();
      for (const t of timers) clearTimeout(t);
      this.#open.delete(close);
      res.end();
    };
    const unsubscribe = this.#store.subscribe(deliver);
    this.#open.add(close);
    res.on("close", close);
    if (fromScratch) {
      for (const o of this.#store.list(w.key, w.namespace)) if (w.matches(o)) send("ADDED", w.render(o));
      if (w.bookmarks && w.sendInitialEvents) bookmark({ "k8s.io/initial-events-end": "true" });
    } else {
      for (const e of backlog) deliver(e);
    }
    if (w.bookmarks) {
      const tick = setInterval(() => bookmark(), this.#bookmarkMs);
      timers.push(tick);
    }
    if (w.timeoutSeconds !== undefined && w.timeoutSeconds > 0)
      timers.push(setTimeout(close, w.timeoutSeconds * 1000));
  }
}
