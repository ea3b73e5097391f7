/** Helpers for tests against the emulator: clients from its kubeconfig, waiting for a condition. */
import { KubeConfig } from "@kubernetes/client-node";
import type { ApiServer } from "./server.ts";

export function kubeConfigOf(server: ApiServer, namespace = "default"): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(server.kubeconfig(namespace));
  return kc;
}

/** Polls until `check` returns a value other than undefined/false; fails with `what` after the deadline. */
export async function until<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Parses an ApiException's body into the Status the server sent. */
export function statusOf(e: unknown): {
  code?: number;
  reason?: string;
  message?: string;
  details?: { causes?: { field?: string; reason?: string }[] };
} {
  const body = (e as { body?: unknown }).body;
  if (typeof body === "string") return JSON.parse(body);
  return (body ?? {}) as ReturnType<typeof statusOf>;
}

/** The Status a request that must fail was answered with; throws if it succeeded. */
export async function failure(p: Promise<unknown>): Promise<ReturnType<typeof statusOf>> {
  try {
    await p;
  } catch (e) {
    return statusOf(e);
  }
  throw new Error("expected the request to fail");
}

/** Sends a plain JSON object (real field names, unlike client-node's typed models) and returns the parsed reply. */
export async function requestJson(
  server: ApiServer,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
