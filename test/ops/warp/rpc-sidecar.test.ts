import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ImageChainSpec } from "../../../operator/spec/schema.ts";
import { isIoError } from "../../../worker/io/errors.ts";
import { parseRpb, parseRpcTxt, readRpcSidecar, sidecarUris } from "../../../worker/io/rpc-sidecar.ts";
import { openRaster } from "../../../worker/io/tiff/reader.ts";
import type { Rpc } from "../../../worker/io/tiff/rpc.ts";
import { openSources } from "../../../worker/run/sources.ts";
import { imagechain } from "../../helpers/cli.ts";
import { hasGdal, python } from "../../helpers/gdal.ts";
import { rpcMetadata, syntheticRpc } from "./rpc-fixtures.ts";

const coeffs = (k: number) => Array.from({ length: 20 }, (_, i) => (i === k ? 1 : i * 0.001));

function expectRpc(got: Rpc, want: Rpc): void {
  for (const [k, v] of Object.entries(want)) {
    if (Array.isArray(v))
      v.forEach((x: number, i: number) => expect((got as never)[k][i]).toBeCloseTo(x, 12));
    else expect((got as never)[k]).toBeCloseTo(v as number, 12);
  }
}

describe("RPC sidecars", () => {
  const want: Rpc = {
    ...syntheticRpc(300),
    lineNumCoeff: coeffs(1),
    lineDenCoeff: coeffs(0),
    sampNumCoeff: coeffs(2),
    sampDenCoeff: coeffs(0),
  };

  it("reads _RPC.TXT with units after the values and numbered coefficients", () => {
    const lines = [
      `LINE_OFF: +${want.lineOff} pixels`,
      `SAMP_OFF: ${want.sampOff} pixels`,
      `LAT_OFF: ${want.latOff} degrees`,
      `LONG_OFF: ${want.longOff} degrees`,
      `HEIGHT_OFF: ${want.heightOff} meters`,
      `LINE_SCALE: ${want.lineScale}`,
      `SAMP_SCALE: ${want.sampScale}`,
      `LAT_SCALE: ${want.latScale}`,
      `LONG_SCALE: ${want.longScale}`,
      `HEIGHT_SCALE: ${want.heightScale}`,
      ...(["LINE_NUM_COEFF", "LINE_DEN_COEFF", "SAMP_NUM_COEFF", "SAMP_DEN_COEFF"] as const).flatMap(
        (key, j) =>
          [want.lineNumCoeff, want.lineDenCoeff, want.sampNumCoeff, want.sampDenCoeff][j]!.map(
            (v, i) => `${key}_${i + 1}: ${v.toExponential()}`,
          ),
      ),
    ];
    expectRpc(parseRpcTxt(lines.join("\r\n"), "x_RPC.TXT"), { ...want, errBias: -1, errRand: -1 });
  });

  it("reads .RPB groups", () => {
    const list = (v: readonly number[]) => `(\n\t${v.join(",\n\t")})`;
    const text = `satId = "X";\nBEGIN_GROUP = IMAGE\n\terrBias = 0.5;\n\terrRand = 0.25;\n\tlineOffset = ${want.lineOff};\n\tsampOffset = ${want.sampOff};\n\tlatOffset = ${want.latOff};\n\tlongOffset = ${want.longOff};\n\theightOffset = ${want.heightOff};\n\tlineScale = ${want.lineScale};\n\tsampScale = ${want.sampScale};\n\tlatScale = ${want.latScale};\n\tlongScale = ${want.longScale};\n\theightScale = ${want.heightScale};\n\tlineNumCoef = ${list(want.lineNumCoeff)};\n\tlineDenCoef = ${list(want.lineDenCoeff)};\n\tsampNumCoef = ${list(want.sampNumCoeff)};\n\tsampDenCoef = ${list(want.sampDenCoeff)};\nEND_GROUP = IMAGE\nEND;`;
    expectRpc(parseRpb(text, "x.RPB"), { ...want, errBias: 0.5, errRand: 0.25 });
  });

  it("names the missing or short field", () => {
    const bad = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return isIoError(e) ? `${e.code}: ${e.message}` : String(e);
      }
      return "no error";
    };
    expect(bad(() => parseRpcTxt("SAMP_OFF: 1", "a_RPC.TXT"))).toBe(
      "corrupt: a_RPC.TXT: RPC sidecar: no LINE_OFF",
    );
    const short = `LINE_OFF: 1\nSAMP_OFF: 1\nLAT_OFF: 1\nLONG_OFF: 1\nHEIGHT_OFF: 1\nLINE_SCALE: 1\nSAMP_SCALE: 1\nLAT_SCALE: 1\nLONG_SCALE: 1\nHEIGHT_SCALE: 1\nLINE_NUM_COEFF: 1 2 3`;
    expect(bad(() => parseRpcTxt(short, "a_RPC.TXT"))).toBe(
      "corrupt: a_RPC.TXT: RPC sidecar: LINE_NUM_COEFF needs 20 numbers, got 3",
    );
  });

  it("looks where GDAL looks", () => {
    expect(sidecarUris("s3://b/scenes/IMG_01.TIF")).toEqual([
      "s3://b/scenes/IMG_01_RPC.TXT",
      "s3://b/scenes/IMG_01_rpc.txt",
      "s3://b/scenes/IMG_01.RPB",
      "s3://b/scenes/IMG_01.rpb",
    ]);
  });
});

const WRITE = `
import sys, json
from osgeo import gdal
gdal.UseExceptions()
for path, opt in [(sys.argv[1], 'RPB=YES'), (sys.argv[2], 'RPCTXT=YES'), (sys.argv[3], None)]:
    ds = gdal.GetDriverByName('GTiff').Create(path, 30, 20, 1, gdal.GDT_Byte, options=['PROFILE=BASELINE'] + ([opt] if opt else []))
    if opt: ds.SetMetadata(json.loads(sys.argv[4]), 'RPC')
    ds = None
`;

describe.skipIf(!hasGdal && !process.env.CI)("RPC sidecars written by GDAL", () => {
  const dir = mkdtempSync(join(tmpdir(), "rpc-sidecar-"));
  const rpb = join(dir, "a.tif");
  const txt = join(dir, "b.tif");
  const none = join(dir, "c.tif");
  const rpc = syntheticRpc(300);
  beforeAll(() => python(WRITE, [rpb, txt, none, JSON.stringify(rpcMetadata(rpc))]));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads the model of a.RPB and b_RPC.TXT (the TIFFs have no RPC tag); none next to c.tif", async () => {
    for (const path of [rpb, txt]) {
      const r = await openRaster(path);
      expect(r.info.rpc).toBeNull();
      await r.close();
      expectRpc((await readRpcSidecar(pathToFileURL(path).href))!, rpc);
    }
    expect(await readRpcSidecar(pathToFileURL(none).href)).toBeNull();
  });

  it("gives the sources' grids the sidecar's model", async () => {
    const spec = { sources: { scene: { uri: pathToFileURL(rpb).href } } } as unknown as ImageChainSpec;
    const sources = await openSources(spec, {});
    try {
      expectRpc(sources.grids.scene!.rpc!, rpc);
    } finally {
      await sources.close();
    }
  });

  it("imagechain plan reads the sidecar too: ortho's grid is derived from the model", async () => {
    const chain = {
      apiVersion: "imagechain.io/v1alpha1",
      kind: "ImageChain",
      metadata: { name: "sidecar" },
      spec: {
        sources: { scene: { uri: pathToFileURL(rpb).href } },
        steps: [
          {
            name: "o",
            op: "ortho",
            inputs: { image: "scene" },
            params: { crs: "EPSG:4326", resolution: 0.0005 },
          },
        ],
        outputs: [{ step: "o", uri: pathToFileURL(join(dir, "o.tif")).href }],
      },
    };
    const file = join(dir, "chain.yaml");
    writeFileSync(file, JSON.stringify(chain));
    const res = await imagechain(["plan", file, "--json"]);
    expect(res.code, res.stderr).toBe(0);
    const planned = JSON.parse(res.stdout) as { stages: { name: string; kind: string; tasks: number }[] };
    expect(planned.stages[0]).toMatchObject({ name: "o", kind: "tiles" });
    expect(planned.stages[0]!.tasks).toBeGreaterThan(0);
  });
});
