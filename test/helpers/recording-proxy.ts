/**
 * A plain HTTP proxy in front of the API emulator that records every request a client makes (method,
 * path, query), so that a test can derive the rights a process used from what it actually did. Watches
 * stream through; a client that hangs up ends its upstream request.
 */
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { stringify } from "yaml";

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  /** The user agent: tells a process's requests from the test's own. */
  readonly agent: string;
}

export interface RecordingProxy {
  readonly url: string;
  readonly requests: RecordedRequest[];
  kubeconfig(): string;
  stop(): Promise<void>;
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://proxy");
    requests.push({
      method: req.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      agent: String(req.headers["user-agent"] ?? ""),
    });
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on("error", () => res.destroy());
    res.on("close", () => forward.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    kubeconfig: () =>
      stringify({
        apiVersion: "v1",
        kind: "Config",
        // client-node refuses plain HTTP unless TLS verification is explicitly off.
        clusters: [{ name: "proxy", cluster: { server: url, "insecure-skip-tls-verify": true } }],
        users: [{ name: "proxy", user: { token: "proxy" } }],
        contexts: [{ name: "proxy", context: { cluster: "proxy", user: "proxy", namespace: "default" } }],
        "current-context": "proxy",
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
