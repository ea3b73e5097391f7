import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export interface Measured {
  readonly seconds: number;
  /** User + system CPU seconds of the command: unlike wall time, barely moved by other load on the machine. */
  readonly cpuSeconds: number | null;
  readonly peakRssMiB: number | null;
}

const TIME = "/usr/bin/time";

/** Run a command to completion; wall time, and CPU time and peak RSS when GNU time is installed. Throws if it fails. */
export function measureCommand(command: string, args: readonly string[]): Measured {
  const withTime = existsSync(TIME);
  const started = performance.now();
  const result = withTime
    ? spawnSync(TIME, ["-f", "RSS_KB=%M CPU=%U+%S", command, ...args], { encoding: "utf8" })
    : spawnSync(command, args, { encoding: "utf8" });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed (${result.status}): ${result.stderr}`);
  }
  const rss = /RSS_KB=(\d+) CPU=([\d.]+)\+([\d.]+)/.exec(result.stderr ?? "");
  return {
    seconds,
    cpuSeconds: rss ? Number(rss[2]) + Number(rss[3]) : null,
    peakRssMiB: rss ? Number(rss[1]) / 1024 : null,
  };
}

export function onPath(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`]).status === 0;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Run `fn` `runs` times and keep the median wall and CPU times (and the largest RSS seen). */
export function repeat(runs: number, fn: () => Measured): Measured {
  const all = Array.from({ length: runs }, fn);
  const known = (xs: (number | null)[]) => xs.filter((x): x is number => x !== null);
  const cpu = known(all.map((m) => m.cpuSeconds));
  const rss = known(all.map((m) => m.peakRssMiB));
  return {
    seconds: median(all.map((m) => m.seconds)),
    cpuSeconds: cpu.length ? median(cpu) : null,
    peakRssMiB: rss.length ? Math.max(...rss) : null,
  };
}

/** `gdal_translate` arguments for GDAL's own deflate COG of `input`: the reference imagechain is held to. */
export function gdalCogArgs(input: string, output: string, tileSize: number): string[] {
  const options = [
    "COMPRESS=DEFLATE",
    "PREDICTOR=2",
    `BLOCKSIZE=${tileSize}`,
    "NUM_THREADS=ALL_CPUS",
    "RESAMPLING=AVERAGE",
  ];
  return ["-q", "-of", "COG", ...options.flatMap((o) => ["-co", o]), input, output];
}
