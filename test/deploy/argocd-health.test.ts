/**
 * The Argo CD health check for ImageChains, run by a Lua interpreter: the cases of health_test.yaml (Argo
 * CD's own test format, so that the check can be contributed upstream as is), statuses built by the
 * operator's own status code, and the sample statuses kept to the shape the operator writes.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CONDITION_TYPES } from "../../operator/kube/conditions.ts";
import { invalidSpecStatus } from "../../operator/kube/status.ts";
import { argoHealth, HEALTH_DIR } from "../helpers/argocd-health.ts";

interface Case {
  readonly healthStatus: { status: string; message: string };
  readonly inputPath: string;
}

const cases = (parse(await readFile(join(HEALTH_DIR, "health_test.yaml"), "utf8")) as { tests: Case[] })
  .tests;
const sample = async (path: string) =>
  parse(await readFile(join(HEALTH_DIR, path), "utf8")) as {
    metadata: { generation: number };
    status?: { phase: string; conditions: { type: string }[] };
  };

describe("Argo CD health of an ImageChain", () => {
  it("covers Healthy, Progressing, Degraded and Suspended", () => {
    expect(new Set(cases.map((c) => c.healthStatus.status))).toEqual(
      new Set(["Healthy", "Progressing", "Degraded", "Suspended"]),
    );
  });

  it.each(cases.map((c) => [c.inputPath, c] as const))("%s", async (path, c) => {
    expect(argoHealth(await sample(path))).toEqual(c.healthStatus);
  });

  it("keeps the samples to the status the operator writes: its condition types, in its order", async () => {
    for (const c of cases) {
      const status = (await sample(c.inputPath)).status;
      if (!status || status.conditions.length === 1) continue;
      expect(
        status.conditions.map((x) => x.type),
        c.inputPath,
      ).toEqual([...CONDITION_TYPES]);
    }
  });

  it("reads a refused spec, as the operator's status code writes it, as Degraded with the field named", () => {
    const status = invalidSpecStatus(
      2,
      "spec.steps[1].inputs.im: unknown step 'ortho2'",
      Date.UTC(2026, 0, 1),
    );
    const health = argoHealth({ metadata: { name: "x", generation: 2 }, status });
    expect(health).toEqual({ status: "Degraded", message: "spec.steps[1].inputs.im: unknown step 'ortho2'" });
    // One generation later the status no longer speaks for the spec.
    expect(argoHealth({ metadata: { name: "x", generation: 3 }, status }).status).toBe("Progressing");
  });

  it("reads a suspended chain whose started batches still run as Suspended", async () => {
    const obj = await sample("testdata/suspended.yaml");
    const conditions = obj.status!.conditions.map((c) =>
      c.type === "Reconciling"
        ? { ...c, status: "True", reason: "Draining", message: "2 batches finishing, no new ones" }
        : c,
    );
    expect(argoHealth({ ...obj, status: { ...obj.status, conditions } }).status).toBe("Suspended");
  });
});
