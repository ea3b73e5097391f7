/**
 * Starts the Kubernetes API emulator with simulated nodes in the foreground:
 *   npm run cluster -- --nodes 3 --kubeconfig /path/kc [--s3-port P] [--image NAME=COMMAND ...]
 * writes the kubeconfig once ready, prints the endpoints, and stops cleanly on SIGINT/SIGTERM.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import S3rver from "s3rver";
import { startCluster } from "../test/cluster/cluster.ts";
import type { ImageCommand } from "../test/cluster/pod-setup.ts";

const { values } = parseArgs({
  options: {
    nodes: { type: "string", default: "3" },
    kubeconfig: { type: "string" },
    "s3-port": { type: "string" },
    image: { type: "string", multiple: true, default: [] },
  },
});

if (!values.kubeconfig) {
  console.error(
    "usage: npm run cluster -- --nodes 3 --kubeconfig /path/kc [--s3-port P] [--image NAME=COMMAND ...]",
  );
  process.exit(2);
}
const nodes = Number(values.nodes);
if (!Number.isInteger(nodes) || nodes < 1) {
  console.error(`--nodes must be a positive integer, got "${values.nodes}"`);
  process.exit(2);
}

const images: Record<string, ImageCommand> = {};
for (const entry of values.image) {
  const eq = entry.indexOf("=");
  if (eq <= 0) {
    console.error(`--image expects NAME=COMMAND, got "${entry}"`);
    process.exit(2);
  }
  images[entry.slice(0, eq)] = {
    command: entry
      .slice(eq + 1)
      .split(" ")
      .filter(Boolean),
  };
}

const cluster = await startCluster({ nodes, images });
let s3: { server: S3rver; directory: string; port: number } | undefined;
if (values["s3-port"]) {
  const directory = await mkdtemp(join(tmpdir(), "imagechain-s3-"));
  const server = new S3rver({
    port: Number(values["s3-port"]),
    address: "127.0.0.1",
    silent: true,
    directory,
  });
  // Port 0 picks a free port: print the one actually bound.
  const address = await server.run();
  s3 = { server, directory, port: address.port };
}

const kubeconfig = resolve(values.kubeconfig);
await writeFile(kubeconfig, cluster.server.kubeconfig());
console.log(`api server  ${cluster.server.url}`);
console.log(`kubeconfig  ${kubeconfig}`);
console.log(`nodes       ${[...cluster.kubelets.keys()].join(", ")}`);
console.log(`node dirs   ${cluster.root}`);
if (s3) console.log(`s3          http://127.0.0.1:${s3.port} (access key S3RVER / secret S3RVER)`);
console.log("ready; Ctrl-C to stop");

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: stopping`);
  await cluster.stop();
  if (s3) {
    await s3.server.close();
    await rm(s3.directory, { recursive: true, force: true });
  }
  process.exit(0);
}
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
