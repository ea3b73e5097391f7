import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import { openRaster } from "../../worker/io/tiff/reader.ts";
import { DATA_TYPES, type DataType } from "../../worker/io/raster.ts";
import type { Grid } from "../../worker/ops/grid.ts";
import { toDot } from "../plan/dot.ts";
import type { SourceGrids } from "../plan/grids.ts";
import { plan, summarize } from "../plan/plan.ts";
import { formatIssues } from "../spec/issues.ts";
import type { ImageChainSpec } from "../spec/schema.ts";
import { validateSpec } from "../spec/validate.ts";
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
  const doc: unknown = parseYaml(await readFile(file, "utf8"));
  const { spec, name } = specOf(doc);
  const checked = validateSpec(spec);
  if (!checked.ok) return invalid(file, checked.issues);
  const overrides = new Map(values.source.map(parseSourceOverride));
  const unknown = [...overrides.keys()].find((source) => !(source in checked.value.sources));
  if (unknown) throw new UsageError(`--source ${unknown}: the chain has no source named '${unknown}'`);
  const sources = await readSourceGrids(checked.value, overrides);
  const planned = plan(checked.value, sources, lanes === undefined ? {} : { lanes });
  if (!planned.ok) return invalid(file, planned.issues);
  const p = planned.value;
  if (values.json) process.stdout.write(`${JSON.stringify(summarize(p), null, 2)}\n`);
  else if (values.dot) process.stdout.write(toDot(p, name));
  else process.stdout.write(describe(p));
  return 0;
}

/** A full ImageChain resource or a bare spec. */
function specOf(doc: unknown): { spec: unknown; name: string } {
  if (doc !== null && typeof doc === "object" && "spec" in doc && "kind" in doc) {
    const meta = (doc as { metadata?: { name?: unknown } }).metadata;
    return { spec: doc.spec, name: typeof meta?.name === "string" ? meta.name : "imagechain" };
  }
  return { spec: doc, name: "imagechain" };
}

function invalid(file: string, issues: readonly { code: string; path: string; message: string }[]): number {
  process.stderr.write(`imagechain: ${file} is not a valid chain:\n${formatIssues(issues)}\n`);
  return 2;
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
      const raster = await openRaster(uri);
      try {
        const i = raster.info;
        const grid: Grid = {
          width: i.width,
          height: i.height,
          bands: i.bandCount,
          dataType: i.dataType,
          geoTransform: i.geoTransform,
          crs: i.crs,
          nodata: i.nodata,
        };
        return [name, grid];
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
