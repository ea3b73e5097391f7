import { parseArgs } from "node:util";
import { openRaster } from "../../worker/io/tiff/reader.ts";
import { DATA_TYPES, type DataType } from "../../worker/io/raster.ts";
import type { Grid } from "../../worker/ops/grid.ts";
import { toDot } from "../plan/dot.ts";
import type { SourceGrids } from "../plan/grids.ts";
import { plan, summarize } from "../plan/plan.ts";
import type { ImageChainSpec } from "../spec/schema.ts";
import { s3OptionsOf, sourceGrid } from "../../worker/run/sources.ts";
import { invalidChain, loadChain } from "./chain-file.ts";
import { UsageError } from "./failure.ts";

const USAGE =
  "usage: imagechain plan <chain.yaml> [--json | --dot] [--lanes N] [--source name=WIDTHxHEIGHTxBANDS:dtype[@EPSG:code,x0,y0,pixelSize]]...";

/** `imagechain plan`: validate a chain, read its sources' headers (or take them from --source), print the plan. */
export async function planCommand(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      dot: { type: "boolean", default: false },
      lanes: { type: "string" },
      source: { type: "string", multiple: true, default: [] },
    },
  });
  if (positionals.length !== 1) throw new UsageError(`plan takes one chain file\n${USAGE}`);
  if (values.json && values.dot) throw new UsageError(`--json and --dot are exclusive\n${USAGE}`);
  const lanes = values.lanes === undefined ? undefined : Number(values.lanes);
  if (lanes !== undefined && !(Number.isInteger(lanes) && lanes >= 1))
    throw new UsageError(`--lanes must be a positive integer`);
  const file = positionals[0]!;
  const { spec, name } = await loadChain(file);
  const overrides = new Map(values.source.map(parseSourceOverride));
  const unknown = [...overrides.keys()].find((source) => !(source in spec.sources));
  if (unknown) throw new UsageError(`--source ${unknown}: the chain has no source named '${unknown}'`);
  const sources = await readSourceGrids(spec, overrides);
  const planned = plan(spec, sources, lanes === undefined ? {} : { lanes });
  if (!planned.ok) throw invalidChain(file, planned.issues);
  const p = planned.value;
  if (values.json) process.stdout.write(`${JSON.stringify(summarize(p), null, 2)}\n`);
  else if (values.dot) process.stdout.write(toDot(p, name));
  else process.stdout.write(describe(p));
  return 0;
}

/**
 * `scene=10980x10980x4:uint16`, optionally georeferenced `…@EPSG:32631,300000,5000000,10` (CRS, upper-left
 * x and y, pixel size): a source's header, for planning without reading it.
 */
export function parseSourceOverride(text: string): [string, Grid] {
  const m = /^([^=]+)=(\d+)x(\d+)x(\d+):(\w+)(?:@EPSG:(\d+),(-?[\d.]+),(-?[\d.]+),([\d.]+))?$/.exec(text);
  if (!m || !(DATA_TYPES as readonly string[]).includes(m[5]!)) {
    throw new UsageError(
      `--source ${text}: expected name=WIDTHxHEIGHTxBANDS:dtype[@EPSG:code,x0,y0,pixelSize] (dtype one of ${DATA_TYPES.join(", ")})`,
    );
  }
  const [width, height, bands] = [Number(m[2]), Number(m[3]), Number(m[4])];
  if (width < 1 || height < 1 || bands < 1) throw new UsageError(`--source ${text}: sizes must be positive`);
  const georeferenced = m[6] !== undefined;
  const size = Number(m[9]);
  const grid: Grid = {
    width,
    height,
    bands,
    dataType: m[5] as DataType,
    geoTransform: georeferenced ? [Number(m[7]), size, 0, Number(m[8]), 0, -size] : null,
    crs: georeferenced ? { epsg: Number(m[6]), wkt: null } : null,
    nodata: null,
  };
  return [m[1]!, grid];
}

/** The shell's one piece of I/O: the headers of the sources not given on the command line. */
async function readSourceGrids(
  spec: ImageChainSpec,
  overrides: ReadonlyMap<string, Grid>,
): Promise<SourceGrids> {
  const entries = await Promise.all(
    Object.entries(spec.sources).map(async ([name, { uri }]): Promise<[string, Grid]> => {
      const given = overrides.get(name);
      if (given) return [name, given];
      const s3 = s3OptionsOf(spec);
      const raster = await openRaster(uri, { s3 });
      try {
        return [name, await sourceGrid(uri, raster, s3)];
      } finally {
        await raster.close();
      }
    }),
  );
  return Object.fromEntries(entries);
}

function describe(p: Parameters<typeof summarize>[0]): string {
  const s = summarize(p);
  const width = Math.max(...s.stages.map((x) => x.name.length), 5);
  const rows = s.stages.map(
    (x) =>
      `  ${x.name.padEnd(width)}  ${x.kind.padEnd(9)} ${String(x.tasks).padStart(9)}  ${x.steps.join(" → ")}`,
  );
  return [
    `  ${"stage".padEnd(width)}  ${"kind".padEnd(9)} ${"tasks".padStart(9)}  steps`,
    ...rows,
    "",
    `tasks ${s.tasks}, edges ${s.edges}, lanes ${s.lanes}, cross-lane tiles ${s.crossLaneTiles}, peak scratch ${s.peakScratchTiles} tiles per lane`,
    "",
  ].join("\n");
}
