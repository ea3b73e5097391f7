/**
 * What `imagechain run` shows while it works: a one-line progress bar on a terminal (tasks done / total,
 * rate, ETA), or else structured log lines (pino, JSON on stderr) that a CI log or a log shipper keeps.
 */
import { pino } from "pino";
import type { RunEvent } from "../local/executor.ts";

export function progressReporter(stream: NodeJS.WriteStream = process.stderr): {
  onEvent: (e: RunEvent) => void;
  finish: () => void;
} {
  const started = performance.now();
  if (stream.isTTY) {
    let last = 0;
    let drawn = false;
    const draw = (done: number, total: number) => {
      const now = performance.now();
      if (done < total && now - last < 100) return;
      last = now;
      const seconds = (now - started) / 1000;
      const rate = done / Math.max(seconds, 1e-3);
      const eta = rate > 0 ? (total - done) / rate : Infinity;
      const width = 30;
      const filled = Math.round((width * done) / total);
      const bar = `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
      const etaText = Number.isFinite(eta) ? `ETA ${eta.toFixed(0)} s` : "";
      stream.write(`\r${bar} ${done}/${total} tasks  ${rate.toFixed(1)}/s  ${etaText}   `);
      drawn = true;
    };
    return {
      onEvent(e) {
        if (e.type === "progress") draw(e.done, e.total);
        else if (e.type === "retry") stream.write(`\nretrying batch ${e.batch}: ${e.message}\n`);
      },
      finish: () => {
        if (drawn) stream.write("\n");
      },
    };
  }
  const log = pino({ base: null, timestamp: pino.stdTimeFunctions.isoTime }, stream);
  let reported = -1;
  return {
    onEvent(e) {
      switch (e.type) {
        case "planned":
          log.info(
            { tasks: e.plan.dag.depStart.length - 1, lanes: e.plan.lanes.count, scratch: e.scratch },
            "planned",
          );
          break;
        case "worker":
          log.info({ slot: e.slot, pid: e.pid }, "worker started");
          break;
        case "progress": {
          const tenth = Math.floor((10 * e.done) / e.total);
          if (tenth !== reported) {
            reported = tenth;
            log.info({ done: e.done, total: e.total }, "progress");
          }
          break;
        }
        case "retry":
          log.warn({ batch: e.batch, error: e.message }, "batch failed, will retry");
          break;
      }
    },
    finish: () => log.flush(),
  };
}
