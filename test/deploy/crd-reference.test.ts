/** docs/reference.md is the CRD's schema as the generator renders it: it fails when either changed alone. */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { CRD_FILE } from "../../operator/spec/crd.ts";
import { crdReference, REFERENCE_FILE } from "../helpers/crd-reference.ts";

describe("the resource reference (docs/reference.md)", () => {
  it("is up to date with the CRD (regenerate: node test/helpers/crd-reference.ts)", async () => {
    const crd = await readFile(CRD_FILE, "utf8");
    expect(await readFile(REFERENCE_FILE, "utf8")).toBe(await crdReference(crd));
  });

  it("has a row per field with its default and bounds, and the CEL immutability rules", async () => {
    const crd = await readFile(CRD_FILE, "utf8");
    const doc = await crdReference(crd);
    expect(doc).toMatch(/\| `spec\.execution\.parallelism` +\| integer +\| `4` +\| ≥ 1; ≤ 65535 /);
    expect(doc).toMatch(
      /\| `spec\.steps\[\]\.op` +\| string \(required\) +\| +\| one of `bandmath`, `convolve`/,
    );
    expect(doc).toMatch(/\| `status\.phase` /);
    expect(doc).toMatch(/self == oldSelf/);
    // A changed schema changes the reference.
    const changed = crd.replace("default: 4\n", "default: 5\n");
    expect(changed).not.toBe(crd);
    expect(await crdReference(changed)).not.toBe(doc);
  });
});
