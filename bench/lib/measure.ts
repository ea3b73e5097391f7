import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export interface Measured {
  readonly seconds: number;
  readonly peakRssMiB: number | null;
}

const TIME = "/usr/bin/time";

/** Run a command to completion; wall time, and peak RSS when GNU time is installed. Throws if it fails. */
export function measureCommand(command: string, args: readonly string[]): Measured {
  const withTime = existsSync(TIME);
  const started = performance.now();
  const result = withTime
    ? spawnSync(TIME, ["-f", "RSS_KB=%M", command, ...args], { encoding: "utf8" })
    : spawnSync(command, args, { encoding: "utf8" });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed (${result.status}): ${result.stderr}`);
  }
  const rss = /RSS_KB=(\d+)/.exec(result.stderr ?? "");
  return { seconds, peakRssMiB: rss ? Number(rss[1]) / 1024 : null };
}

export function onPath(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`]).status === 0;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Run `fn` `runs` times and keep the median wall time (and the largest RSS seen). */
export function repeat(runs: number, fn: () => Measured): Measured {
  const all = Array.from({ length: runs }, fn);
  const rss = all.map((m) => m.peakRssMiB).filter((r): r is number => r !== null);
  return { seconds: median(all.map((m) => m.seconds)), peakRssMiB: rss.length ? Math.max(...rss) : null };
}
