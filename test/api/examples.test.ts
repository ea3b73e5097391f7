/**
 * Every example manifest is reproduced by its flow in examples/*.ts: the same resource (deep-equal to the
 * YAML), and back through fromManifest the same resource and the same plan.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ndviMinio } from "../../examples/ndvi-minio.ts";
import { ndvi } from "../../examples/ndvi.ts";
import { pansharpen } from "../../examples/pansharpen.ts";
import { tenSteps } from "../../examples/ten-steps.ts";
import { fromManifest, type Flow, type Grid, type SourceGrids } from "../../operator/api/index.ts";
import { summarize } from "../../operator/plan/plan.ts";

function grid(width: number, height: number, bands: number, x0: number, size: number): Grid {
  return {
    width,
    height,
    bands,
    dataType: "uint16",
    geoTransform: [x0, size, 0, 5_000_000, 0, -size],
    crs: { epsg: 32631, wkt: null },
    nodata: 0,
  };
}

/** Headers as the examples' comments give them to `imagechain plan --source`. */
const cases: { file: string; flow: () => Flow; sources: SourceGrids }[] = [
  { file: "ndvi.yaml", flow: () => ndvi(), sources: { scene: grid(10980, 10980, 4, 300000, 10) } },
  {
    file: "ndvi-minio.yaml",
    flow: () => ndviMinio(),
    sources: { red: grid(10980, 10980, 1, 300000, 10), nir: grid(10980, 10980, 1, 300000, 10) },
  },
  {
    file: "pansharpen.yaml",
    flow: pansharpen,
    sources: { pan: grid(40000, 40000, 1, 300000, 0.5), ms: grid(10000, 10000, 4, 300000, 2) },
  },
  {
    file: "ten-steps.yaml",
    flow: tenSteps,
    sources: { east: grid(10980, 10980, 4, 300000, 10), west: grid(10980, 10980, 4, 190200, 10) },
  },
];

const yamlOf = async (file: string) =>
  parse(await readFile(join(import.meta.dirname, "../../examples", file), "utf8")) as unknown;

describe.each(cases)("examples/$file", ({ file, flow, sources }) => {
  it("the flow's toManifest() deep-equals the YAML", async () => {
    expect(flow().toManifest()).toStrictEqual(await yamlOf(file));
  });

  it("is the same code, the same manifest (names do not depend on what ran before)", () => {
    expect(flow().toYAML()).toBe(flow().toYAML());
  });

  it("fromManifest(yaml) gives the YAML back and plans like the flow", async () => {
    const yaml = await yamlOf(file);
    const back = fromManifest(yaml);
    expect(back.toManifest()).toStrictEqual(yaml);
    const [a, b] = await Promise.all([flow().plan({ sources }), back.plan({ sources })]);
    expect(summarize(b)).toStrictEqual(summarize(a));
    expect(b.order).toStrictEqual(a.order);
  });
});
