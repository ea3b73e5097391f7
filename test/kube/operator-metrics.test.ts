/**
 * The operator's /metrics and milestone Events on the emulator with s3rver and real worker processes: a
 * chain whose first pod fails once runs to Succeeded; /metrics, scraped over HTTP, counts the pods the
 * test saw created, every task done, reconciles timed and the queue; the chain's Events say Planned,
 * Retrying and Complete; a refused chain gets a Failed Warning naming the field.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { Controller } from "../../operator/kube/controller.ts";
import { createMetrics, serveMetrics, type MetricsServer } from "../../operator/kube/metrics.ts";
import type { Kubectl } from "../cluster/kubectl.ts";
import { until } from "../cluster/testing.ts";
import { failAtOnce, startWorld, type World } from "../helpers/operator-world.ts";

let world: World;
let kubectl: Kubectl;
let controller: Controller;
let server: MetricsServer;
const created: string[] = [];
const failing = new Set<string>();

beforeAll(async () => {
  world = await startWorld({ width: 200, height: 150 });
  ({ kubectl } = world);
  const metrics = createMetrics();
  server = await serveMetrics(metrics, 0);
  controller = world.startOperator({
    metrics,
    adjust: (pod) => {
      created.push(pod.metadata!.name!);
      if (failing.has(pod.metadata!.name!)) failAtOnce(pod);
    },
  });
  await controller.synced;
});
afterAll(async () => {
  await controller?.stop();
  await server?.close();
  await world?.stop();
});

/** The NDVI + gaussian chain on s3rver, in two lanes of small batches. */
const chainDoc = (suspend: boolean) => world.chainDoc("metered", "s3://out/ndvi.tif", { spec: { suspend } });

interface Chain {
  metadata: { uid: string };
  status?: { phase?: string; progress?: string };
}

/** The value of one sample of the Prometheus text, by its name and labels as written. */
function sample(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  if (line === undefined) throw new Error(`no sample ${series} in\n${text}`);
  return Number(line.slice(series.length + 1));
}

describe("operator metrics and events on the emulator", () => {
  it("scrapes real counts from /metrics and posts Planned, Retrying and Complete", async () => {
    const get = async () =>
      JSON.parse(await kubectl(["get", "imagechain", "metered", "-o", "json"])) as Chain;
    // Made suspended first: pod names hold a prefix of the uid, known once the chain exists.
    await kubectl(["apply", "-f", "-"], stringify(chainDoc(true)));
    const { uid } = (
      await until("the chain is Suspended", async () => {
        const c = await get();
        return c.status?.phase === "Suspended" ? c : undefined;
      })
    ).metadata;
    const prefix = `metered-${uid.replace(/[^a-z0-9]/g, "").slice(0, 5)}`;
    failing.add(`${prefix}-l0-b0-a1`);
    await kubectl(["apply", "-f", "-"], stringify(chainDoc(false)));
    const done = await until(
      "the chain finishes",
      async () => {
        const c = await get();
        return c.status?.phase === "Succeeded" || c.status?.phase === "Failed" ? c : undefined;
      },
      30_000,
    );
    expect(done.status!.phase).toBe("Succeeded");
    const total = Number(done.status!.progress!.split("/")[1]);
    expect(total).toBeGreaterThan(0);

    const health = await fetch(`http://127.0.0.1:${server.port}/healthz`);
    expect(health.status).toBe(200);
    const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    expect(created).toContain(`${prefix}-l0-b0-a2`);
    expect(sample(text, "imagechain_pods_created_total")).toBe(created.length);
    expect(sample(text, 'imagechain_tasks{chain="default/metered",phase="done"}')).toBe(total);
    expect(sample(text, 'imagechain_tasks{chain="default/metered",phase="pending"}')).toBe(0);
    expect(sample(text, 'imagechain_tasks{chain="default/metered",phase="running"}')).toBe(0);
    expect(sample(text, "imagechain_reconcile_duration_seconds_count")).toBeGreaterThan(0);
    expect(sample(text, 'imagechain_status_bytes{chain="default/metered"}')).toBeGreaterThan(100);
    expect(sample(text, "imagechain_queue_depth")).toBeGreaterThanOrEqual(0);
    expect(sample(text, "process_resident_memory_bytes")).toBeGreaterThan(0);

    const events = await until("the Complete event", async () => {
      const list = JSON.parse(await kubectl(["get", "events", "-o", "json"])) as {
        items: { reason: string; type: string; message: string; involvedObject: { uid?: string } }[];
      };
      const mine = list.items.filter((e) => e.involvedObject.uid === uid);
      return mine.some((e) => e.reason === "Complete") ? mine : undefined;
    });
    const reasons = events.map((e) => e.reason);
    expect(reasons.filter((r) => r === "Planned")).toHaveLength(1);
    expect(reasons.filter((r) => r === "Complete")).toHaveLength(1);
    expect(events.find((e) => e.reason === "Planned")!.message).toBe(`${total} tasks in 2 lanes`);
    expect(events.find((e) => e.reason === "Retrying")!.message).toBe("batch l0-b0 attempt 2");
    expect(reasons).not.toContain("Failed");
  }, 60_000);

  it("posts a Failed Warning naming the field for a chain the semantic check refuses", async () => {
    const doc = chainDoc(false);
    const steps = [doc.spec.steps[0]!, { ...doc.spec.steps[1]!, inputs: { im: "nowhere" } }];
    await kubectl(
      ["apply", "-f", "-"],
      stringify({
        ...doc,
        metadata: { name: "refused", namespace: "default" },
        spec: { ...doc.spec, steps },
      }),
    );
    const failed = await until("the Failed event", async () => {
      const list = JSON.parse(await kubectl(["get", "events", "-o", "json"])) as {
        items: { reason: string; type: string; message: string; involvedObject: { name?: string } }[];
      };
      return list.items.find((e) => e.involvedObject.name === "refused" && e.reason === "Failed");
    });
    expect(failed.type).toBe("Warning");
    expect(failed.message).toContain("nowhere");
  });
});
