/** Injected request failures (409/429/500) and latency, as clients see them. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CoreV1Api } from "@kubernetes/client-node";
import { startApiServer, type ApiServer } from "./server.ts";
import { kubeConfigOf, statusOf } from "./testing.ts";

let server: ApiServer;
let core: CoreV1Api;

beforeAll(async () => {
  server = await startApiServer({ recordLatency: true });
  core = kubeConfigOf(server).makeApiClient(CoreV1Api);
});
afterAll(async () => server.stop());

async function outcome(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (e) {
    return statusOf(e).code ?? -1;
  }
}

describe("request faults", () => {
  it.each([409, 429, 500] as const)(
    "fails every matching request with %i and a Status body",
    async (code) => {
      server.faults.failure = { code, fraction: 1, methods: ["POST"] };
      try {
        expect(
          await outcome(
            core.createNamespacedConfigMap({
              namespace: "default",
              body: { metadata: { name: `f${code}` } },
            }),
          ),
        ).toBe(code);
        // Reads are not in the rule and keep working; the failed create wrote nothing.
        expect(await outcome(core.readNamespacedConfigMap({ name: `f${code}`, namespace: "default" }))).toBe(
          404,
        );
      } finally {
        server.faults.failure = undefined;
      }
    },
  );

  it("sends Retry-After with 429", async () => {
    server.faults.failure = { code: 429, fraction: 1 };
    try {
      const res = await fetch(`${server.url}/api/v1/namespaces`);
      expect(res.status).toBe(429);
      expect(res.headers.get("retry-after")).toBe("1");
      expect(await res.json()).toMatchObject({ kind: "Status", reason: "TooManyRequests", code: 429 });
    } finally {
      server.faults.failure = undefined;
    }
  });

  it("fails the configured share of requests", async () => {
    const draws = [0.1, 0.9, 0.2, 0.8, 0.6, 0.4];
    let i = 0;
    server.faults.random = () => draws[i++ % draws.length];
    server.faults.failure = { code: 500, fraction: 0.5 };
    server.faults.injected = 0;
    try {
      const codes = [];
      for (let n = 0; n < 6; n++) codes.push((await fetch(`${server.url}/api/v1/namespaces/default`)).status);
      expect(codes).toEqual([500, 200, 500, 200, 200, 500]);
      expect(server.faults.injected).toBe(3);
    } finally {
      server.faults.failure = undefined;
      server.faults.random = Math.random;
    }
  });

  it("delays every request by the configured latency", async () => {
    server.faults.latencyMs = 50;
    try {
      server.latenciesMs.length = 0;
      await core.listNamespace();
      expect(server.latenciesMs[0]).toBeGreaterThanOrEqual(49);
    } finally {
      server.faults.latencyMs = 0;
    }
  });
});
