import { parseArgs } from "node:util";
import type { ColormapName } from "../../worker/io/png/colormap.ts";
import { DEFAULT_QUICKLOOK_SIZE, writeQuicklook } from "../../worker/io/png/quicklook.ts";
import { UsageError } from "./failure.ts";
import { toUri } from "./uri.ts";

export { writeQuicklook } from "../../worker/io/png/quicklook.ts";

const USAGE =
  "imagechain quicklook <input> <output.png> [--size N] [--colormap viridis|rdylgn|grey] [--range min,max] [--bands a,b,c]";

function numbers(option: string, text: string, integer: boolean): number[] {
  const parts = text.split(",").map((s) => s.trim());
  const values = parts.map(Number);
  if (
    parts.some((s) => s === "") ||
    values.some((v) => !Number.isFinite(v) || (integer && !Number.isInteger(v)))
  ) {
    throw new UsageError(
      `--${option} takes comma-separated ${integer ? "integers" : "numbers"}, not '${text}'`,
    );
  }
  return values;
}

/** parseArgs refuses an option value that starts with a dash; a range (NDVI: -1,1) often does. */
function joinRange(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--range" && i + 1 < argv.length) out.push(`--range=${argv[++i]}`);
    else out.push(argv[i]!);
  }
  return out;
}

function parse(argv: readonly string[]) {
  try {
    return parseArgs({
      args: joinRange(argv),
      allowPositionals: true,
      options: {
        size: { type: "string", default: String(DEFAULT_QUICKLOOK_SIZE) },
        colormap: { type: "string" },
        range: { type: "string" },
        bands: { type: "string" },
      },
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\nusage: ${USAGE}`);
  }
}

/** Render a PNG quicklook of a raster: a colour map over one band, or three bands as RGB. */
export async function quicklookCommand(argv: string[]): Promise<number> {
  const { positionals, values } = parse(argv);
  if (positionals.length !== 2) throw new UsageError(`quicklook takes an input and an output: ${USAGE}`);
  const size = Number(values.size);
  if (!Number.isInteger(size) || size < 1 || size > 65536) {
    throw new UsageError(`--size must be an integer between 1 and 65536, not '${values.size}'`);
  }
  let range: [number, number] | undefined;
  if (values.range !== undefined) {
    const r = numbers("range", values.range, false);
    if (r.length !== 2 || !(r[0]! < r[1]!)) {
      throw new UsageError(`--range takes min,max with min < max, not '${values.range}'`);
    }
    range = [r[0]!, r[1]!];
  }
  // Which colour maps, band numbers and ranges make sense is writeQuicklook's to say (an IoError, exit 2).
  const bands = values.bands === undefined ? undefined : numbers("bands", values.bands, true);
  const output = positionals[1]!;
  const r = await writeQuicklook(toUri(positionals[0]!), toUri(output), {
    size,
    colormap: values.colormap as ColormapName | "grey" | undefined,
    range,
    bands,
  });
  const ranges = r.ranges.map((x) => (x ? `${x[0]}..${x[1]}` : "no valid pixel")).join(", ");
  process.stderr.write(
    `wrote ${output} (${r.width}x${r.height} from level ${r.level}, bands ${r.bands.join(",")}, range ${ranges}, ${r.bytes} bytes)\n`,
  );
  return 0;
}
