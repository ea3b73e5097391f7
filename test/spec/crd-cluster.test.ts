/** The generated CRD through the real kubectl on the Kubernetes API emulator: accepted, serving the examples, immutable where it says so. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CRD_FILE, immutableMessage } from "../../operator/spec/crd.ts";
import { kubectlFor, type Kubectl } from "../cluster/kubectl.ts";
import { startApiServer, type ApiServer } from "../cluster/server.ts";
import { requestJson } from "../cluster/testing.ts";

const EXAMPLES = join(import.meta.dirname, "../../examples");
const NDVI = readFileSync(join(EXAMPLES, "ndvi.yaml"), "utf8");
const CHAIN = "/apis/imagechain.io/v1alpha1/namespaces/eo/imagechains/s2-ndvi";

let server: ApiServer;
let kubectl: Kubectl;

beforeAll(async () => {
  server = await startApiServer();
  kubectl = await kubectlFor(server.kubeconfig());
});
afterAll(async () => {
  await server.stop();
  await kubectl.cleanup();
});

/** examples/ndvi.yaml with one text change, which must be present. */
function ndviWith(from: string, to: string): string {
  expect(NDVI).toContain(from);
  return NDVI.replace(from, to);
}

interface Stored {
  metadata: { generation: number };
  spec: { execution: Record<string, unknown>; outputs: Record<string, unknown>[]; [field: string]: unknown };
}

async function chain(): Promise<Stored> {
  return parse(await kubectl(["get", "imagechain", "s2-ndvi", "-n", "eo", "-o", "yaml"]));
}

describe("the ImageChain CRD on the API emulator", () => {
  it("is accepted and established", async () => {
    expect(await kubectl(["apply", "-f", CRD_FILE])).toContain(
      "customresourcedefinition.apiextensions.k8s.io/imagechains.imagechain.io created",
    );
    expect(
      await kubectl([
        "wait",
        "--for=condition=Established",
        "crd/imagechains.imagechain.io",
        "--timeout=10s",
      ]),
    ).toContain("condition met");
  });

  it("creates every example manifest, with the schema's defaults", async () => {
    await kubectl(["apply", "-f", "-"], "apiVersion: v1\nkind: Namespace\nmetadata: { name: eo }\n");
    const out = await kubectl(["apply", "-f", EXAMPLES]);
    for (const name of ["s2-ndvi", "s2-ndvi-minio", "phr-sharpen", "ten-steps"])
      expect(out).toContain(`imagechain.imagechain.io/${name} created`);
    const made = await chain();
    expect(made.metadata.generation).toBe(1);
    expect(made.spec.execution).toMatchObject({
      parallelism: 16,
      scratch: { mode: "volume", size: "20Gi" },
      retries: { limit: 3, backoffSeconds: 10 },
    });
    expect(made.spec).toMatchObject({ suspend: false, ttlSecondsAfterFinished: 3600 });
    expect(made.spec.outputs[0]).toMatchObject({ format: "cog", compression: "deflate" });
  });

  it("shows Phase, Progress and Age, and validates the status", async () => {
    const current = await requestJson(server, "GET", CHAIN);
    const status = {
      phase: "Running",
      progress: "1234/5000",
      tiles: { total: 5000, succeeded: 1234, running: 16 },
    };
    expect((await requestJson(server, "PUT", `${CHAIN}/status`, { ...current.body, status })).status).toBe(
      200,
    );
    const lines = (await kubectl(["get", "imagechains", "-n", "eo"])).trim().split("\n");
    expect(lines[0]!.split(/\s+/)).toEqual(["NAME", "PHASE", "PROGRESS", "AGE"]);
    const row = lines.find((l) => l.startsWith("s2-ndvi "))!.split(/\s+/);
    expect(row.slice(0, 3)).toEqual(["s2-ndvi", "Running", "1234/5000"]);
    expect(row[3]).toMatch(/^\d+s$/);
    expect((await kubectl(["get", "ic", "-n", "eo", "-o", "name"])).trim().split("\n")).toHaveLength(4);

    const latest = await requestJson(server, "GET", CHAIN);
    const bad = await requestJson(server, "PUT", `${CHAIN}/status`, {
      ...latest.body,
      status: { phase: "Done" },
    });
    expect(bad.status).toBe(422);
    expect(JSON.stringify(bad.body)).toContain("status.phase");
  });

  it.each([
    ["steps", "sigma: 1.5", "sigma: 2.5"],
    ["tiling", "tileSize: 512", "tileSize: 1024"],
    ["outputs", "compression: deflate", "compression: lzw"],
    ["sources", "T31TCJ_20260101.tif", "T31TCJ_20260111.tif"],
  ] as const)(
    "refuses a change of spec.%s with the message to create a new chain",
    async (field, from, to) => {
      const refused = kubectl(["apply", "-f", "-"], ndviWith(from, to));
      await expect(refused).rejects.toThrow(immutableMessage(field));
      expect((await chain()).metadata.generation).toBe(1);
    },
  );

  it("accepts a change of spec.execution.parallelism", async () => {
    const out = await kubectl(["apply", "-f", "-"], ndviWith("parallelism: 16", "parallelism: 32"));
    expect(out).toContain("imagechain.imagechain.io/s2-ndvi configured");
    const changed = await chain();
    expect(changed.spec.execution.parallelism).toBe(32);
    expect(changed.metadata.generation).toBe(2);
  });
});
