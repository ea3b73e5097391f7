/** `imagechain operator` processes against the emulator (see operator-replica-main.ts), and their pino logs. */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { until } from "../cluster/testing.ts";

const MAIN = join(import.meta.dirname, "operator-replica-main.ts");
/** The s3rver keys, for the operator's own S3 requests (headers, scratch deletion). */
export const S3_ENV = {
  AWS_ACCESS_KEY_ID: "S3RVER",
  AWS_SECRET_ACCESS_KEY: "S3RVER",
  AWS_REGION: "us-east-1",
};

export interface Replica {
  readonly child: ChildProcess;
  /** The identity it contends for the Lease under, once it logged it. */
  readonly identity: Promise<string>;
  readonly exited: Promise<number | null>;
  stderr(): string;
}

/**
 * An operator process watching "default" with a 2 s Lease (a killed leader is replaced quickly); its
 * stderr is pino JSON, one line per record.
 */
export function startReplica(kubeconfig: string, host: string, args: readonly string[] = []): Replica {
  const child = spawn(
    process.execPath,
    [
      MAIN,
      ...["--kubeconfig", kubeconfig, "--namespace", "default", "--image", "imagechain/worker:dev"],
      ...["--lease-duration", "2s", "--renew-deadline", "1500ms", "--retry-period", "250ms"],
      ...["--metrics-port", "0"],
      ...args,
    ],
    { env: { ...process.env, ...S3_ENV, HOSTNAME: host, POD_NAMESPACE: "default" } },
  );
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const output = { stderr: () => stderr };
  return {
    ...output,
    child,
    identity: until(
      `${host} starts`,
      () => logged(output, "operator waiting for the lease")?.identity as string,
    ),
    exited: new Promise((resolve) => child.on("close", resolve)),
  };
}

/** The first log record of `replica` with this message. */
export function logged(replica: Pick<Replica, "stderr">, msg: string): Record<string, unknown> | undefined {
  return records(replica).find((r) => r.msg === msg);
}

export function records(replica: Pick<Replica, "stderr">): Record<string, unknown>[] {
  return replica
    .stderr()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
