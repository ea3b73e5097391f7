/** The emulated API server: routing of the Kubernetes REST API over node:http on loopback. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { stringify } from "yaml";
import { Api, type DeleteOptions, type WriteOptions } from "./api.ts";
import {
  coreVersions,
  group,
  groupList,
  openApiGroupVersion,
  openApiIndex,
  resourceList,
  versionInfo,
} from "./discovery.ts";
import { ApiError, badRequest, methodNotAllowed } from "./errors.ts";
import {
  groupVersionPath,
  parseBody,
  patchTypeOf,
  readBody,
  resourceAddress,
  type ResourceAddress,
} from "./http-request.ts";
import { bindPod } from "./binding.ts";
import { evict } from "./eviction.ts";
import { page } from "./paging.ts";
import { RequestFaults } from "./request-faults.ts";
import { apiVersionOf, builtinTypes, Registry, type KubeObject } from "./resources.ts";
import { fieldMatcher, labelMatcher } from "./selectors.ts";
import { Store } from "./store.ts";
import { toTable } from "./table.ts";
import { Watches } from "./watch.ts";
import { GarbageCollector } from "./gc.ts";

/** The Status that subresource POSTs without an object of their own (binding, eviction) answer with. */
const CREATED = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 };

export interface ApiServerOptions {
  /** Events kept for watch resumption (a compaction window). */
  readonly historyLimit?: number;
  readonly bookmarkMs?: number;
  /** Keep each request's duration in `latenciesMs` (for benches). */
  readonly recordLatency?: boolean;
  /** Told of every answered request (for benches that count a client's writes). */
  readonly onRequest?: (method: string, path: string, status: number) => void;
}

export interface ApiServer {
  readonly url: string;
  readonly api: Api;
  readonly store: Store;
  readonly watches: Watches;
  readonly faults: RequestFaults;
  readonly latenciesMs: number[];
  /** Where `pods/{name}/log` reads a container's output (the simulated cluster sets it). */
  logSource: LogSource | undefined;
  kubeconfig(namespace?: string): string;
  stop(): Promise<void>;
}

export type LogSource = (pod: KubeObject, container: string) => string | undefined;

const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function query(url: URL, name: string): string | undefined {
  return url.searchParams.get(name) ?? undefined;
}

function deleteOptions(url: URL, body: unknown): DeleteOptions {
  const b = (body ?? {}) as DeleteOptions & { orphanDependents?: boolean };
  const grace = query(url, "gracePeriodSeconds");
  const policy =
    query(url, "propagationPolicy") ?? b.propagationPolicy ?? (b.orphanDependents ? "Orphan" : undefined);
  return {
    gracePeriodSeconds: grace !== undefined ? Number(grace) : b.gracePeriodSeconds,
    propagationPolicy: policy as DeleteOptions["propagationPolicy"],
    preconditions: b.preconditions,
  };
}

export async function startApiServer(options: ApiServerOptions = {}): Promise<ApiServer> {
  const store = new Store(options.historyLimit);
  const registry = new Registry(builtinTypes());
  const api = new Api(store, registry);
  const watches = new Watches(store, options.bookmarkMs);
  const faults = new RequestFaults();
  const gc = new GarbageCollector(api);
  const latenciesMs: number[] = [];
  const namespaces = registry.get("", "v1", "namespaces");
  for (const name of SYSTEM_NAMESPACES) {
    if (namespaces) api.create(namespaces, undefined, { metadata: { name } });
  }
  const priorityClasses = registry.get("scheduling.k8s.io", "v1", "priorityclasses");
  for (const [name, value] of [
    ["system-cluster-critical", 2_000_000_000],
    ["system-node-critical", 2_000_001_000],
  ] as const) {
    if (priorityClasses)
      api.create(priorityClasses, undefined, {
        apiVersion: "scheduling.k8s.io/v1",
        kind: "PriorityClass",
        metadata: { name },
        value,
      });
  }
  let host = "";

  function serveResource(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    a: ResourceAddress,
    body: unknown,
  ): void {
    const { type } = a;
    const method = req.method ?? "GET";
    const accept = req.headers.accept ?? "";
    const asTable = accept.includes("as=Table");
    const includeObject = query(url, "includeObject") ?? "Metadata";
    const namespace = type.namespaced ? a.namespace : undefined;
    const write: WriteOptions = {
      subresource: a.subresource === "status" ? "status" : undefined,
      fieldValidation: query(url, "fieldValidation"),
      fieldManager: query(url, "fieldManager"),
    };
    const render = (o: KubeObject) =>
      asTable ? toTable(type, [o], o.metadata.resourceVersion ?? "", includeObject) : o;
    if (
      a.subresource !== undefined &&
      a.subresource !== "status" &&
      !(type.plural === "pods" && type.group === "")
    ) {
      throw badRequest(`the server does not serve subresource "${a.subresource}" of ${type.plural}`);
    }
    if (a.subresource === "status" && !type.statusSubresource)
      throw badRequest(`${type.plural} have no status subresource`);
    if (a.name === undefined) {
      const selectors = {
        labelSelector: query(url, "labelSelector"),
        fieldSelector: query(url, "fieldSelector"),
      };
      switch (method) {
        case "GET": {
          const watch = query(url, "watch");
          if (watch === "true" || watch === "1") {
            const labels = labelMatcher(selectors.labelSelector);
            const fields = fieldMatcher(selectors.fieldSelector);
            const timeout = query(url, "timeoutSeconds");
            watches.serve(res, {
              key: api.key(type),
              namespace,
              matches: (o) => labels(o) && fields(o),
              resourceVersion: query(url, "resourceVersion"),
              bookmarks: query(url, "allowWatchBookmarks") === "true",
              sendInitialEvents: query(url, "sendInitialEvents") === "true",
              timeoutSeconds: timeout !== undefined ? Number(timeout) : undefined,
              kind: type.kind,
              apiVersion: apiVersionOf(type.group, a.version),
              render,
            });
            return;
          }
          const all = api.list(type, namespace, selectors);
          const chunk = page(
            all,
            store.resourceVersion,
            store.oldestResumable,
            query(url, "limit"),
            query(url, "continue"),
          );
          const metadata = {
            resourceVersion: chunk.resourceVersion,
            ...(chunk.continue
              ? { continue: chunk.continue, remainingItemCount: chunk.remainingItemCount }
              : {}),
          };
          if (asTable)
            return sendJson(res, 200, {
              ...toTable(type, chunk.items, chunk.resourceVersion, includeObject),
              metadata,
            });
          return sendJson(res, 200, {
            kind: type.listKind,
            apiVersion: apiVersionOf(type.group, a.version),
            metadata,
            items: chunk.items,
          });
        }
        case "POST":
          return sendJson(res, 201, api.create(type, namespace, body as KubeObject, write));
        case "DELETE": {
          const items = api.deleteCollection(type, namespace, selectors, deleteOptions(url, body));
          return sendJson(res, 200, {
            kind: type.listKind,
            apiVersion: apiVersionOf(type.group, a.version),
            metadata: { resourceVersion: String(store.resourceVersion) },
            items,
          });
        }
        default:
          throw methodNotAllowed(`${method} is not supported on a collection`);
      }
    }
    const name = a.name;
    if (a.subresource === "binding" && method === "POST") {
      const target = (body as { target?: { name?: string } })?.target?.name;
      if (!target) throw badRequest("a binding needs target.name");
      bindPod(api, namespace ?? "", name, target);
      return sendJson(res, 201, CREATED);
    }
    if (a.subresource === "log" && method === "GET") {
      const pod = api.get(type, namespace, name);
      const containers = ((pod.spec as { containers?: { name: string }[] }).containers ?? []).map(
        (c) => c.name,
      );
      const container = query(url, "container") ?? containers[0] ?? "";
      if (!containers.includes(container)) {
        throw badRequest(`container ${container} is not valid for pod ${name}`);
      }
      const text = self.logSource?.(pod, container);
      if (text === undefined) throw badRequest(`container "${container}" in pod "${name}" has no log`);
      res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    if (a.subresource === "eviction" && method === "POST") {
      const options = (body as { deleteOptions?: DeleteOptions })?.deleteOptions ?? {};
      evict(api, namespace ?? "", name, options);
      return sendJson(res, 201, CREATED);
    }
    if (a.subresource !== undefined && a.subresource !== "status")
      throw methodNotAllowed(`${method} ${a.subresource}`);
    switch (method) {
      case "GET": {
        const o = api.get(type, namespace, name);
        return sendJson(
          res,
          200,
          asTable ? toTable(type, [o], o.metadata.resourceVersion ?? "", includeObject) : o,
        );
      }
      case "PUT":
        return sendJson(res, 200, api.update(type, namespace, name, body as KubeObject, write));
      case "PATCH": {
        const patchType = patchTypeOf(req.headers["content-type"] ?? "");
        const exists = store.get(api.key(type), namespace, name) !== undefined;
        const out = api.patch(type, namespace, name, patchType, body, write);
        return sendJson(res, exists ? 200 : 201, out);
      }
      case "DELETE":
        return sendJson(res, 200, api.delete(type, namespace, name, deleteOptions(url, body)));
      default:
        throw methodNotAllowed(`${method} is not supported on ${type.plural}`);
    }
  }

  function serveDiscovery(res: ServerResponse, segments: string[]): boolean {
    const path = segments.join("/");
    if (path === "version") return (sendJson(res, 200, versionInfo()), true);
    if (path === "healthz" || path === "readyz" || path === "livez") {
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.end("ok");
      return true;
    }
    if (path === "api") return (sendJson(res, 200, coreVersions(host)), true);
    if (path === "apis") return (sendJson(res, 200, groupList(registry)), true);
    if (path === "openapi/v3") return (sendJson(res, 200, openApiIndex(registry)), true);
    if (segments[0] === "openapi" && segments[1] === "v3") {
      const gv = groupVersionPath(segments.slice(2));
      const doc =
        gv && gv.rest.length === 0 ? openApiGroupVersion(registry, gv.group, gv.version) : undefined;
      if (doc) return (sendJson(res, 200, doc), true);
      return false;
    }
    const gv = groupVersionPath(segments);
    if (gv && gv.rest.length === 0) {
      const doc = resourceList(registry, gv.group, gv.version);
      if (doc) return (sendJson(res, 200, doc), true);
    }
    if (segments[0] === "apis" && segments.length === 2) {
      const doc = group(registry, segments[1]);
      if (doc) return (sendJson(res, 200, doc), true);
    }
    return false;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://emulator");
    const segments = url.pathname.split("/").filter(Boolean);
    const text = await readBody(req);
    if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
    const injected = faults.draw(req.method ?? "GET");
    if (injected) throw injected;
    const contentType = req.headers["content-type"] ?? "application/json";
    if (text !== "" && (contentType.includes("protobuf") || contentType.includes("cbor"))) {
      throw new ApiError(
        415,
        "UnsupportedMediaType",
        `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`,
      );
    }
    if (req.method === "GET" && serveDiscovery(res, segments)) return;
    const gv = groupVersionPath(segments);
    const address = gv && resourceAddress(registry, gv.group, gv.version, gv.rest);
    if (!address) {
      throw new ApiError(
        404,
        "NotFound",
        `the server could not find the requested resource (${req.method} ${url.pathname})`,
      );
    }
    serveResource(req, res, url, address, parseBody(text, contentType));
  }

  const server: Server = createServer((req, res) => {
    const started = performance.now();
    if (options.recordLatency) res.on("finish", () => latenciesMs.push(performance.now() - started));
    const { onRequest } = options;
    if (onRequest) res.on("finish", () => onRequest(req.method ?? "GET", req.url ?? "/", res.statusCode));
    handle(req, res).catch((e: unknown) => {
      const error =
        e instanceof ApiError
          ? e
          : new ApiError(500, "InternalError", `internal error: ${(e as Error).message}`);
      if (res.headersSent) return void res.end();
      const retry = error.details?.retryAfterSeconds;
      sendJson(res, error.code, error.toStatus(), retry ? { "Retry-After": String(retry) } : {});
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  host = `127.0.0.1:${port}`;
  const url = `http://${host}`;
  const self: ApiServer = {
    url,
    api,
    store,
    watches,
    faults,
    latenciesMs,
    logSource: undefined,
    kubeconfig(namespace = "default") {
      return stringify({
        apiVersion: "v1",
        kind: "Config",
        // client-node refuses plain HTTP unless TLS verification is explicitly off.
        clusters: [{ name: "emulator", cluster: { server: url, "insecure-skip-tls-verify": true } }],
        users: [{ name: "emulator", user: { token: "emulator" } }],
        contexts: [{ name: "emulator", context: { cluster: "emulator", user: "emulator", namespace } }],
        "current-context": "emulator",
      });
    },
    async stop() {
      gc.stop();
      watches.dropAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return self;
}
