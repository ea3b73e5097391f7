/**
 * Plain JSON requests with the kubeconfig's credentials and TLS settings (client-node's own
 * transport), for the shells that must see objects exactly as the server sent them: client-node's
 * typed clients turn timestamps into Dates, while its Watch hands over raw JSON, and a store fed by
 * both would hold two shapes of the same object.
 */
import {
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  RequestContext,
  type KubeConfig,
} from "@kubernetes/client-node";

export interface KubeResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** An answer other than 2xx, with the Status the server sent (`code`, `reason`, `message`). */
export class KubeHttpError extends Error {
  readonly code: number;
  readonly reason: string;
  constructor(method: string, path: string, status: number, body: Record<string, unknown>) {
    super(`${method} ${path}: ${status} ${String(body.reason ?? "")} ${String(body.message ?? "")}`.trim());
    this.code = status;
    this.reason = String(body.reason ?? "");
  }
}

const library = new IsomorphicFetchHttpLibrary();

/** Sends a request; resolves with any status (callers decide what 404 or 409 mean). */
export async function kubeRequest(
  kc: KubeConfig,
  method: "GET" | "POST" | "PUT" | "DELETE",
  path: string,
  options: { body?: unknown; signal?: AbortSignal } = {},
): Promise<KubeResponse> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("the kubeconfig has no current cluster");
  const ctx = new RequestContext(cluster.server + path, HttpMethod[method]);
  ctx.setHeaderParam("Accept", "application/json");
  if (options.body !== undefined) {
    ctx.setHeaderParam("Content-Type", "application/json");
    ctx.setBody(JSON.stringify(options.body));
  }
  if (options.signal) ctx.setSignal(options.signal);
  await kc.applySecurityAuthentication(ctx);
  const res = await library.send(ctx).toPromise();
  const text = await res.body.text();
  let body: Record<string, unknown>;
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { message: text.slice(0, 200) };
  }
  return { status: res.httpStatusCode, body };
}

/** Like kubeRequest, but a status other than 2xx throws a KubeHttpError. */
export async function kubeJson(
  kc: KubeConfig,
  method: "GET" | "POST" | "PUT" | "DELETE",
  path: string,
  options: { body?: unknown; signal?: AbortSignal } = {},
): Promise<Record<string, unknown>> {
  const res = await kubeRequest(kc, method, path, options);
  if (res.status < 200 || res.status > 299) throw new KubeHttpError(method, path, res.status, res.body);
  return res.body;
}
