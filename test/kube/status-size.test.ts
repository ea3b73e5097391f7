import { describe, expect, it } from "vitest";
import { chainStatus, type LaneRecord } from "../../operator/kube/status.ts";
import { DONE, initialState, RUNNING, type Batch } from "../../operator/schedule/types.ts";
import { mulberry32 } from "../../scripts/lib/prng.ts";
import { fiveStepChain } from "../../scripts/lib/chains.ts";
import { planOf } from "../plan/helpers.ts";
import { utmGrid } from "../spec/fixtures.ts";

/**
 * The status of a million-task chain on a thousand lanes, each on its own cloud node: it must stay well
 * under 64 KiB (etcd's comfort, and what `kubectl get -o yaml` can show). The bench:plan chain (NDVI,
 * gaussian, scaling, Sobel, stretch) at 436² tiles is ~1.01 M tasks in 16 stages.
 */
const SIDE = 436;
const LANES = 1000;
const TILE = 512;

describe("status size", () => {
  it("stays under 64 KiB for 1 M tasks on 1,000 lanes at any point of the run", () => {
    const spec = fiveStepChain(LANES, TILE);
    const plan = planOf(spec, { scene: utmGrid({ width: SIDE * TILE, height: SIDE * TILE }) });
    const n = plan.order.length;
    expect(n).toBeGreaterThan(1_000_000);

    // Each lane on its own node, in no order (lanes land where the scheduler puts their first pod), a few
    // moved after a node loss, and batch numbers in the thousands.
    const random = mulberry32(7);
    const lanes: LaneRecord[] = Array.from({ length: LANES }, () => ({
      node: `ip-10-${Math.floor(random() * 4)}-${Math.floor(random() * 256)}-${Math.floor(random() * 256)}.eu-west-3.compute.internal`,
      volume: random() < 0.02 ? 1 + Math.floor(random() * 3) : 0,
    }));
    const sizes: Record<string, number>[] = [];
    for (const fraction of [0.1, 0.5, 0.9]) {
      const state = initialState(n, LANES);
      const k = Math.floor(n * fraction);
      for (let i = 0; i < k; i++) state.tasks[plan.order[i]!] = DONE;
      // Every lane runs a pod of its next 64 pending tasks in the reference order.
      const running = Array.from({ length: LANES }, () => [] as number[]);
      for (let i = k; i < n; i++) {
        const t = plan.order[i]!;
        const mine = running[plan.lanes.laneOf[t]!]!;
        if (mine.length < 64) mine.push(t);
      }
      const batches: Batch[] = running.map((tasks, lane) => {
        for (const t of tasks) state.tasks[t] = RUNNING;
        return {
          id: `l${lane}-b1`,
          lane,
          tasks,
          attempt: 1,
          failures: 0,
          phase: "running",
          retryAt: null,
          lastError: null,
        };
      });
      const nextBatch = Array.from({ length: LANES }, () => Math.floor(random() * 5000));
      const status = chainStatus({
        generation: 1,
        plan,
        state: { ...state, batches, nextBatch },
        lanes,
        suspend: false,
        now: Date.UTC(2026, 0, 1),
      });
      const bytes = Buffer.byteLength(JSON.stringify(status));
      sizes.push({
        fraction,
        bytes,
        bitmaps: status.stages.reduce((s, x) => s + x.done.length, 0),
        phases: status.lanes.phases.length,
        nodes: status.lanes.nodes.length,
        batches: status.lanes.batches.length,
        volumes: status.lanes.volumes.length,
      });
      expect(bytes).toBeLessThan(64 * 1024);
      // The lanes' share: a thousand distinct node names deflate to ~6 KB, the rest is a letter and a number per lane.
      expect(Buffer.byteLength(JSON.stringify(status.lanes))).toBeLessThan(16 * 1024);
    }
    // The per-lane list it replaces ({ index, node, volume, phase } per lane) was 110+ KB by itself.
    console.log(
      `status bytes for ${n} tasks, ${LANES} lanes:\n${sizes.map((s) => JSON.stringify(s)).join("\n")}`,
    );
  }, 60_000);
});
