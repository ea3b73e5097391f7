import { describe, expect, it } from "vitest";
import { plan } from "../../operator/plan/plan.ts";
import { validateSpec } from "../../operator/spec/validate.ts";
import type { Grid } from "../../worker/ops/grid.ts";
import { edgeWidth, readAcrossLanes, stripFor } from "../../worker/run/edges.ts";
import { keysOf, taskAt } from "../../worker/run/products.ts";
import { ndviChain } from "./fixtures.ts";

const tile = { x: 0, y: 0, width: 64, height: 64 };

describe("edge strips", () => {
  it("hold a halo part at either side, never a part that reaches past the strip or the whole width", () => {
    expect(stripFor({ x: 0, y: 3, width: 5, height: 10 }, tile, 5)).toEqual({
      side: "left",
      strip: { x: 0, y: 0, width: 5, height: 64 },
    });
    expect(stripFor({ x: 59, y: 0, width: 5, height: 64 }, tile, 5)).toEqual({
      side: "right",
      strip: { x: 59, y: 0, width: 5, height: 64 },
    });
    expect(stripFor({ x: 0, y: 0, width: 6, height: 64 }, tile, 5)).toBeNull();
    expect(stripFor({ x: 58, y: 0, width: 6, height: 64 }, tile, 5)).toBeNull();
    expect(stripFor({ x: 0, y: 60, width: 64, height: 4 }, tile, 5)).toBeNull();
    expect(stripFor({ x: 0, y: 0, width: 3, height: 3 }, tile, 0)).toBeNull();
  });

  it("are as wide as the widest halo on the stage, made where another lane's tile task reads, and collected", () => {
    const checked = validateSpec(ndviChain("file:///s.tif", "file:///o.tif", { tileSize: 64 }).spec);
    if (!checked.ok) throw new Error("bad fixture");
    const scene: Grid = {
      width: 512,
      height: 512,
      bands: 4,
      dataType: "uint16",
      geoTransform: [0, 10, 0, 0, 0, -10],
      crs: { epsg: 32631, wkt: null },
      nodata: 0,
    };
    const planned = plan(checked.value, { scene }, { lanes: 2 });
    if (!planned.ok) throw new Error("unplannable fixture");
    const p = planned.value;
    const ndvi = p.stages.findIndex((s) => s.exports.includes("ndvi"));
    const smooth = p.stages.findIndex((s) => s.steps.includes("smooth"));
    // The gaussian's radius (3σ, rounded up) is the strip width; nothing reads the output with a halo.
    expect(edgeWidth(p, ndvi)).toBeGreaterThan(0);
    expect(edgeWidth(p, smooth)).toBe(0);
    const stageTasks = Array.from({ length: 64 }, (_, i) => taskAt(p, ndvi, i % 8, Math.floor(i / 8)));
    const across = stageTasks.filter((t) => readAcrossLanes(p, t));
    // Only the tiles along the border between the two lanes.
    expect(across.length).toBeGreaterThan(0);
    expect(across.length).toBeLessThan(32);
    expect(keysOf(p, stageTasks[0]!)).toEqual(["ndvi/0_0.tile", "ndvi/0_0.l", "ndvi/0_0.r"]);
  });
});
