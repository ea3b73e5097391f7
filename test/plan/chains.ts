import fc from "fast-check";
import type { Grid } from "../../worker/ops/grid.ts";

/** Random valid chains over one UTM source: the generator the planner and scheduler properties share. */
export interface RandomChain {
  readonly spec: Record<string, unknown>;
  readonly sources: Record<string, Grid>;
  readonly lanes: number;
}

type StepKind = "bandmath" | "convolve" | "stretch" | "reproject" | "bandmath2";

const stepArb = fc.record({
  kind: fc.constantFrom<StepKind>("bandmath", "bandmath", "convolve", "stretch", "reproject", "bandmath2"),
  pick: fc.nat(),
  pick2: fc.nat(),
  radius: fc.integer({ min: 0, max: 150 }),
  shift: fc.integer({ min: -300, max: 300 }),
  scale: fc.constantFrom(10, 20, 7.5),
});

export const chainArb: fc.Arbitrary<RandomChain> = fc
  .record({
    width: fc.integer({ min: 1, max: 900 }),
    height: fc.integer({ min: 1, max: 900 }),
    tileSize: fc.constantFrom(64, 128, 256),
    lanes: fc.integer({ min: 1, max: 9 }),
    steps: fc.array(stepArb, { minLength: 1, maxLength: 6 }),
    outputs: fc.array(fc.nat(), { minLength: 1, maxLength: 2 }),
  })
  .map(({ width, height, tileSize, lanes, steps, outputs }) => {
    const source: Grid = {
      width,
      height,
      bands: 2,
      dataType: "uint16",
      geoTransform: [500000, 10, 0, 4000000, 0, -10],
      crs: { epsg: 32631, wkt: null },
      nodata: null,
    };
    // Products with their lattice, so that two-input band math only pairs rasters on one grid.
    const products: { name: string; lattice: number }[] = [{ name: "src", lattice: 0 }];
    let lattices = 1;
    const specSteps = steps.map((s, i) => {
      const name = `s${i}`;
      const a = products[s.pick % products.length]!;
      let lattice = a.lattice;
      let step: Record<string, unknown>;
      switch (s.kind) {
        case "bandmath":
          step = { op: "bandmath", inputs: { a: a.name }, params: { expression: "a.b1 * 2" } };
          break;
        case "bandmath2": {
          const peers = products.filter((p) => p.lattice === a.lattice);
          const b = peers[s.pick2 % peers.length]!;
          step = { op: "bandmath", inputs: { a: a.name, b: b.name }, params: { expression: "a.b1 + b.b1" } };
          break;
        }
        case "convolve":
          step = {
            op: "convolve",
            inputs: { a: a.name },
            params: { kernel: { box: { size: 2 * s.radius + 1 } } },
          };
          break;
        case "stretch":
          step = { op: "stretch", inputs: { a: a.name } };
          break;
        case "reproject": {
          const x0 = 500000 + s.shift * 10;
          const y1 = 4000000 - s.shift * 5;
          const bounds = [x0, y1 - height * 10, x0 + width * 10, y1];
          step = {
            op: "reproject",
            inputs: { image: a.name },
            params: { crs: "EPSG:32631", resolution: s.scale, bounds },
          };
          lattice = lattices++;
          break;
        }
      }
      products.push({ name, lattice });
      return { name, ...step };
    });
    const stepNames = specSteps.map((s) => s.name);
    const outs = [...new Set(outputs.map((o) => stepNames[o % stepNames.length]!))];
    const spec = {
      sources: { src: { uri: "s3://b/src.tif" } },
      steps: specSteps,
      outputs: outs.map((step) => ({ step, uri: `s3://out/${step}.tif` })),
      tiling: { tileSize },
      execution: { parallelism: lanes },
    };
    return { spec, sources: { src: source }, lanes };
  });
