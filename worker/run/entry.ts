/**
 * The worker's modes, one code path for both executors:
 * - `run --chain FILE --lanes N --lane L --tasks 3,4,9-12 --scratch DIR [--shared s3://bucket/prefix/]`: one
 *   batch, then exit (a pod); the lane's area is under DIR (its volume), shared scratch is the S3 prefix
 *   (with the chain's storage.s3 endpoint and the AWS_* environment) or else DIR's shared directory;
 *   prints one JSON line per finished task; exit 0 done, 2 permanent failure (bad input), 1 transient.
 * - `serve`: a long-lived process driven over IPC by the local executor (batch after batch).
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import { formatIssues } from "../../operator/spec/issues.ts";
import { manifestParts } from "../../operator/spec/manifest.ts";
import { validateSpec } from "../../operator/spec/validate.ts";
import type { FromWorker, ToWorker } from "./protocol.ts";
import { isIntermediateKey } from "./products.ts";
import { dirScratch } from "./scratch.ts";
import { stackScratch, type StackedScratch } from "./scratch-stack.ts";
import { s3OptionsOf } from "./sources.ts";
import { LOST_INPUT_EXIT, TaskError } from "./task-error.ts";
import { parseTaskList } from "./task-list.ts";
import { startWorker, type Worker } from "./worker.ts";

async function start(
  spec: unknown,
  lanes: number,
  scratch: string,
  options: { oneArea: boolean; shared?: string },
): Promise<{ worker: Worker; reads?: StackedScratch["reads"] }> {
  const checked = validateSpec(spec);
  if (!checked.ok) throw new TaskError(`invalid spec:\n${formatIssues(checked.issues)}`, true);
  const area = dirScratch(scratch, { oneArea: options.oneArea });
  if (options.shared === undefined) return { worker: await startWorker(checked.value, lanes, area) };
  // Loaded only here: the AWS SDK costs start-up time that directory-only workers need not pay.
  const { s3Scratch } = await import("./s3-scratch.ts");
  const stack = stackScratch(area, s3Scratch(options.shared, s3OptionsOf(checked.value)), isIntermediateKey);
  return { worker: await startWorker(checked.value, lanes, stack), reads: stack.reads };
}

function failure(e: unknown): { permanent: boolean; message: string } {
  const err = TaskError.wrap(e, "worker");
  return { permanent: err.permanent, message: err.message };
}

async function runOnce(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      chain: { type: "string" },
      lanes: { type: "string" },
      lane: { type: "string" },
      tasks: { type: "string" },
      scratch: { type: "string" },
      shared: { type: "string" },
    },
  });
  const { chain, lanes, lane, tasks, scratch, shared } = values;
  if (!chain || !lanes || !lane || !tasks || !scratch)
    throw new TaskError(
      "usage: worker run --chain FILE --lanes N --lane L --tasks LIST --scratch DIR [--shared s3://bucket/prefix/]",
      true,
    );
  const { spec } = manifestParts(parseYaml(await readFile(chain, "utf8")));
  const { worker, reads } = await start(spec, Number(lanes), scratch, { oneArea: false, shared });
  try {
    let list: number[];
    try {
      list = parseTaskList(tasks);
    } catch (e) {
      throw new TaskError(`--tasks: ${(e as Error).message}`, true);
    }
    for (const task of list) {
      const result = await worker.runTask(task, Number(lane));
      process.stdout.write(`${JSON.stringify({ task, ...result })}\n`);
    }
    // Intermediate tile bytes this batch read from its lane's volume and from shared scratch (the locality).
    if (reads) process.stdout.write(`${JSON.stringify({ reads })}\n`);
  } finally {
    await worker.close();
  }
  return 0;
}

function serve(): void {
  const send = (m: FromWorker) => process.send!(m);
  let worker: Promise<Worker> | null = null;
  let queue = Promise.resolve();
  process.on("message", (m: ToWorker) => {
    if (m.type === "init") {
      worker = start(m.spec, m.lanes, m.scratch, { oneArea: m.oneArea }).then((s) => s.worker);
      worker.then(
        () => send({ type: "ready" }),
        (e: unknown) => {
          send({ type: "init-failed", ...failure(e) });
          process.disconnect();
        },
      );
      return;
    }
    const ready = worker!;
    queue = queue.then(async () => {
      const w = await ready;
      try {
        for (const task of m.tasks) {
          const result = await w.runTask(task, m.lane);
          send({ type: "task", batch: m.batch, task, result });
        }
        send({ type: "batch-done", batch: m.batch });
      } catch (e) {
        send({ type: "batch-failed", batch: m.batch, ...failure(e) });
      }
    });
  });
  // The executor going away (crash, Ctrl-C) ends the worker too: nothing else would.
  process.on("disconnect", () => process.exit(0));
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === "serve" && process.send) serve();
else if (mode === "run") {
  runOnce(rest).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      const f = failure(e);
      process.stderr.write(`imagechain worker: ${f.message}\n`);
      process.exitCode = f.permanent
        ? 2
        : TaskError.wrap(e, "worker").lostInput !== null
          ? LOST_INPUT_EXIT
          : 1;
    },
  );
} else {
  process.stderr.write("usage: worker/main.ts run … | serve (forked by the local executor)\n");
  process.exitCode = 2;
}
