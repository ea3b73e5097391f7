/**
 * What a container process gets on a simulated node: its volumes as directories of the node,
 * its environment, and a command line in which mount paths point at those directories.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Store } from "./store.ts";
import type { KubeObject } from "./resources.ts";
import { fieldValue } from "./selectors.ts";

/** An image's entrypoint on this machine: `command` replaces ENTRYPOINT, `args` is the default CMD. */
export interface ImageCommand {
  readonly command: readonly string[];
  readonly args?: readonly string[];
}

export type Images = Readonly<Record<string, ImageCommand>>;

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: EnvSource }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string }; prefix?: string }[];
  volumeMounts?: { name: string; mountPath: string; subPath?: string }[];
}

interface EnvSource {
  fieldRef?: { fieldPath: string };
  configMapKeyRef?: { name: string; key: string; optional?: boolean };
  secretKeyRef?: { name: string; key: string; optional?: boolean };
}

interface Volume {
  name: string;
  emptyDir?: object;
  hostPath?: { path: string };
  configMap?: { name: string; optional?: boolean };
  secret?: { secretName: string; optional?: boolean };
  persistentVolumeClaim?: { claimName: string };
}

export class SetupError extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

export function resolveImage(images: Images, image: string): ImageCommand | undefined {
  return images[image] ?? images[image.replace(/@.*$/, "").replace(/:[^:/]*$/, "")];
}

/** A Secret's values, decoded (the API server stores stringData as base64 data). */
function secretData(secret: KubeObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((secret.data ?? {}) as Record<string, string>)) {
    out[k] = Buffer.from(v, "base64").toString("utf8");
  }
  return out;
}

/** Makes the pod's volumes under `podDir` (or finds them on the node) and returns name → directory. */
export function prepareVolumes(
  store: Store,
  pod: KubeObject,
  nodeDir: string,
  podDir: string,
): Map<string, string> {
  const ns = pod.metadata.namespace;
  const dirs = new Map<string, string>();
  for (const v of (pod.spec as { volumes?: Volume[] }).volumes ?? []) {
    let dir: string;
    if (v.hostPath) {
      dir = join(nodeDir, "host", v.hostPath.path);
    } else if (v.persistentVolumeClaim) {
      const claim = store.get("/persistentvolumeclaims", ns, v.persistentVolumeClaim.claimName);
      const pvName = (claim?.spec as { volumeName?: string } | undefined)?.volumeName;
      const pv = pvName ? store.get("/persistentvolumes", undefined, pvName) : undefined;
      const spec = pv?.spec as { local?: { path: string }; hostPath?: { path: string } } | undefined;
      const path = spec?.local?.path ?? spec?.hostPath?.path;
      if (!path)
        throw new SetupError(
          "ContainerCreating",
          `volume "${v.name}": claim ${v.persistentVolumeClaim.claimName} is not bound to a local volume`,
        );
      dir = path;
    } else {
      dir = join(podDir, "volumes", v.name);
      const files = v.configMap
        ? (store.get("/configmaps", ns, v.configMap.name)?.data as Record<string, string> | undefined)
        : v.secret
          ? (() => {
              const s = store.get("/secrets", ns, v.secret.secretName);
              return s ? secretData(s) : undefined;
            })()
          : {};
      if (files === undefined && !(v.configMap?.optional || v.secret?.optional)) {
        const what = v.configMap ? `configmap "${v.configMap.name}"` : `secret "${v.secret?.secretName}"`;
        throw new SetupError("CreateContainerConfigError", `${what} not found`);
      }
      mkdirSync(dir, { recursive: true });
      for (const [k, value] of Object.entries(files ?? {})) writeFileSync(join(dir, k), value);
    }
    mkdirSync(dir, { recursive: true });
    dirs.set(v.name, dir);
  }
  return dirs;
}

export function mountsOf(container: Container, volumes: Map<string, string>): Map<string, string> {
  const mounts = new Map<string, string>();
  for (const m of container.volumeMounts ?? []) {
    const dir = volumes.get(m.name);
    if (!dir)
      throw new SetupError(
        "CreateContainerConfigError",
        `container ${container.name}: volume "${m.name}" is not defined`,
      );
    const host = m.subPath ? join(dir, m.subPath) : dir;
    mkdirSync(host, { recursive: true });
    mounts.set(m.mountPath.replace(/\/+$/, ""), host);
  }
  return mounts;
}

/**
 * Rewrites every mount path inside a value (an argument, a shell script, an env value) to the
 * node directory behind it. A path counts where it starts a word and ends at "/" or a word end.
 */
export function translate(value: string, mounts: Map<string, string>): string {
  const paths = [...mounts.keys()].sort((a, b) => b.length - a.length);
  if (paths.length === 0) return value;
  const escaped = paths.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const pattern = new RegExp(`(^|[\\s'"=:;(])(${escaped.join("|")})(?=/|$|[\\s'";)])`, "g");
  return value.replace(pattern, (_m, lead: string, path: string) => lead + (mounts.get(path) ?? path));
}

export function environment(
  store: Store,
  pod: KubeObject,
  container: Container,
  mounts: Map<string, string>,
): Record<string, string> {
  const ns = pod.metadata.namespace;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/tmp",
    HOSTNAME: pod.metadata.name ?? "",
    KUBE_EMULATOR_MOUNTS: JSON.stringify(Object.fromEntries(mounts)),
  };
  const lookup = (kind: "/configmaps" | "/secrets", name: string) => {
    const o = store.get(kind, ns, name);
    if (!o) return undefined;
    return kind === "/secrets" ? secretData(o) : ((o.data ?? {}) as Record<string, string>);
  };
  for (const from of container.envFrom ?? []) {
    const data = from.configMapRef
      ? lookup("/configmaps", from.configMapRef.name)
      : from.secretRef
        ? lookup("/secrets", from.secretRef.name)
        : {};
    if (!data)
      throw new SetupError(
        "CreateContainerConfigError",
        `envFrom of container ${container.name}: source not found`,
      );
    for (const [k, v] of Object.entries(data)) env[(from.prefix ?? "") + k] = v;
  }
  for (const e of container.env ?? []) {
    let value = e.value ?? "";
    const src = e.valueFrom;
    if (src?.fieldRef) value = fieldValue(pod, src.fieldRef.fieldPath);
    const keyRef = src?.configMapKeyRef ?? src?.secretKeyRef;
    if (keyRef) {
      const data = lookup(src?.configMapKeyRef ? "/configmaps" : "/secrets", keyRef.name);
      const found = data?.[keyRef.key];
      if (found === undefined && !keyRef.optional) {
        throw new SetupError(
          "CreateContainerConfigError",
          `couldn't find key ${keyRef.key} in ${keyRef.name} for env ${e.name}`,
        );
      }
      value = found ?? "";
    }
    env[e.name] = translate(value, mounts);
  }
  return env;
}

export function commandLine(images: Images, container: Container, mounts: Map<string, string>): string[] {
  const image = resolveImage(images, container.image);
  if (!image)
    throw new SetupError("ErrImagePull", `image "${container.image}" is not mapped to a local command`);
  const argv = container.command
    ? [...container.command, ...(container.args ?? [])]
    : [...image.command, ...(container.args ?? image.args ?? [])];
  return argv.map((a) => translate(a, mounts));
}
