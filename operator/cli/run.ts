import { availableParallelism, tmpdir } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { startPool } from "../local/worker-pool.ts";
import { UsageError } from "./failure.ts";

const USAGE = "usage: imagechain run <chain.yaml> [--workers N] [--workdir DIR] [--keep-scratch]";

/** `imagechain run`: the whole chain on this machine; a summary on stdout, progress on stderr. */
export async function runCommand(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      workers: { type: "string" },
      workdir: { type: "string" },
      "keep-scratch": { type: "boolean", default: false },
    },
  });
  if (positionals.length !== 1) throw new UsageError(`run takes one chain file\n${USAGE}`);
  const workers = values.workers === undefined ? availableParallelism() : Number(values.workers);
  if (!Number.isInteger(workers) || workers < 1 || workers > 256)
    throw new UsageError(`--workers must be an integer from 1 to 256, got '${values.workers}'`);
  // The workers start first: loading their code overlaps with this process loading its own and the chain.
  const pool = startPool(workers);
  const [{ RunError, runChain }, { loadChain }, { progressReporter }] = await Promise.all([
    import("../local/executor.ts"),
    import("./chain-file.ts"),
    import("./run-progress.ts"),
  ]).catch(async (e: unknown) => {
    await pool.close();
    throw e;
  });
  const { spec } = await loadChain(positionals[0]!).catch(async (e: unknown) => {
    await pool.close();
    throw e;
  });
  const progress = progressReporter();
  const started = performance.now();
  try {
    const summary = await runChain(spec, {
      workers,
      pool,
      workdir: resolve(values.workdir ?? tmpdir()),
      keepScratch: values["keep-scratch"],
      onEvent: progress.onEvent,
    });
    progress.finish();
    const seconds = (performance.now() - started) / 1000;
    const lines = [
      ...summary.outputs.map((o) => `wrote ${o.uri} (${(o.bytes / 2 ** 20).toFixed(1)} MiB)`),
      `${summary.tasks} tasks in ${seconds.toFixed(2)} s with ${workers} worker${workers === 1 ? "" : "s"}: ` +
        `${(summary.pixels / 1e6 / seconds).toFixed(1)} Mpx/s, ` +
        `peak scratch ${(summary.peakScratchBytes / 2 ** 20).toFixed(1)} MiB` +
        (summary.failedBatches ? `, ${summary.failedBatches} failed batch(es) retried` : ""),
      ...(summary.scratch ? [`scratch kept in ${summary.scratch}`] : []),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    return 0;
  } catch (e) {
    progress.finish();
    if (e instanceof RunError) {
      process.stderr.write(`imagechain: ${e.message}\n`);
      return e.permanent ? 2 : 1;
    }
    throw e;
  }
}
