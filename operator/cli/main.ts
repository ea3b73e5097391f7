#!/usr/bin/env node
/** The `imagechain` command: one dispatcher, a module per subcommand, exit codes 0 / 1 (transient) / 2 (bad input). */
import { enableCompileCache } from "node:module";
import { reportFailure, UsageError } from "./failure.ts";

// Commands load their modules on demand, after this: the cache spares recompiling them at every start.
enableCompileCache();

const USAGE = `usage: imagechain <command> [options]

commands:
  info <uri> [--json]                      describe a GeoTIFF / COG (file path, file://, s3://, https://)
  cog <in-uri> <out-uri> [--compression deflate|lzw|none] [--level 1..9] [--tile 512]
      [--overviews auto|none] [--resampling average|nearest]
                                           rewrite any readable GeoTIFF as a Cloud-Optimized GeoTIFF
  plan <chain.yaml> [--json | --dot] [--lanes N] [--source name=WxHxB:dtype]
                                           plan a chain: stages, tasks, lanes, cross-lane tiles
  run <chain.yaml> [--workers N] [--workdir DIR] [--keep-scratch]
                                           run a chain on this machine (N worker processes, default: cores)
  quicklook <in-uri> <out.png> [--size 1024] [--colormap viridis|rdylgn|grey] [--range min,max] [--bands a,b,c]
                                           render a PNG of a raster's smallest overview of at least --size pixels:
                                           one band through a colour map, or three bands as RGB (2-98% stretch)
  operator [--kubeconfig F] [--namespace NS] [--image IMAGE] [--scratch-uri s3://bucket/prefix/]
      [--lease-namespace NS] [--lease-duration 15s] [--renew-deadline 10s] [--retry-period 2s]
      [--metrics-port 8080]
                                           run the Kubernetes controller for ImageChain resources
                                           (only while it holds the Lease imagechain-operator)

S3 is configured by the standard AWS environment (AWS_ENDPOINT_URL_S3, AWS_REGION, AWS_ACCESS_KEY_ID, …).`;

type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  info: async () => (await import("./info.ts")).infoCommand,
  cog: async () => (await import("./cog.ts")).cogCommand,
  plan: async () => (await import("./plan.ts")).planCommand,
  run: async () => (await import("./run.ts")).runCommand,
  quicklook: async () => (await import("./quicklook.ts")).quicklookCommand,
  operator: async () => (await import("./operator.ts")).operatorCommand,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  const load = commands[name];
  if (!load) throw new UsageError(`unknown command '${name}'\n${USAGE}`);
  return (await load())(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.exitCode = reportFailure(e);
  },
);
