/**
 * The restricted Pod Security Standard (Kubernetes 1.33, the checks of the "restricted" and "baseline"
 * levels) over a pod spec: each violation named by its field, so that a test prints what is wrong.
 */
interface SecurityContext {
  privileged?: boolean;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  runAsNonRoot?: boolean;
  runAsUser?: number;
  procMount?: string;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type?: string };
  seLinuxOptions?: { type?: string; user?: string; role?: string };
  appArmorProfile?: { type?: string };
  windowsOptions?: { hostProcess?: boolean };
}

interface Container {
  name: string;
  securityContext?: SecurityContext;
  ports?: { hostPort?: number }[];
}

export interface PodSpecLike {
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  securityContext?: SecurityContext & { sysctls?: { name: string }[] };
  containers: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
  volumes?: Record<string, unknown>[];
}

const VOLUME_TYPES = new Set([
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "persistentVolumeClaim",
  "projected",
  "secret",
]);
const SAFE_SYSCTLS = new Set([
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
]);
const SELINUX_TYPES = new Set([
  "",
  "container_t",
  "container_init_t",
  "container_kvm_t",
  "container_engine_t",
]);

/** Every field of `spec` that the restricted profile refuses; empty when the pod would be admitted. */
export function restrictedViolations(spec: PodSpecLike): string[] {
  const out: string[] = [];
  const pod = spec.securityContext ?? {};
  if (spec.hostNetwork) out.push("spec.hostNetwork");
  if (spec.hostPID) out.push("spec.hostPID");
  if (spec.hostIPC) out.push("spec.hostIPC");
  for (const s of pod.sysctls ?? [])
    if (!SAFE_SYSCTLS.has(s.name)) out.push(`spec.securityContext.sysctls ${s.name}`);
  for (const v of spec.volumes ?? []) {
    const types = Object.keys(v).filter((k) => k !== "name");
    for (const t of types) if (!VOLUME_TYPES.has(t)) out.push(`spec.volumes[${String(v.name)}].${t}`);
  }
  const seccompAt = (sc: SecurityContext | undefined) => sc?.seccompProfile?.type;
  const seccompOk = (t: string | undefined) => t === "RuntimeDefault" || t === "Localhost";
  if (pod.seccompProfile && !seccompOk(seccompAt(pod))) out.push("spec.securityContext.seccompProfile");
  if (pod.runAsUser === 0) out.push("spec.securityContext.runAsUser");
  if (pod.runAsNonRoot === false) out.push("spec.securityContext.runAsNonRoot");
  if (pod.seLinuxOptions && !SELINUX_TYPES.has(pod.seLinuxOptions.type ?? ""))
    out.push("spec.securityContext.seLinuxOptions.type");
  if (pod.appArmorProfile && pod.appArmorProfile.type === "Unconfined")
    out.push("spec.securityContext.appArmorProfile");
  if (pod.windowsOptions?.hostProcess) out.push("spec.securityContext.windowsOptions.hostProcess");
  const containers = [
    ...spec.containers,
    ...(spec.initContainers ?? []),
    ...(spec.ephemeralContainers ?? []),
  ];
  for (const c of containers) {
    const at = `container ${c.name}: securityContext`;
    const sc = c.securityContext ?? {};
    if (sc.privileged) out.push(`${at}.privileged`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${at}.allowPrivilegeEscalation must be false`);
    if (!(sc.runAsNonRoot ?? pod.runAsNonRoot))
      out.push(`${at}.runAsNonRoot must be true (here or on the pod)`);
    if (sc.runAsUser === 0) out.push(`${at}.runAsUser`);
    if (!seccompOk(seccompAt(sc) ?? seccompAt(pod)))
      out.push(`${at}.seccompProfile must be RuntimeDefault or Localhost (here or on the pod)`);
    if (!sc.capabilities?.drop?.includes("ALL")) out.push(`${at}.capabilities.drop must include ALL`);
    for (const cap of sc.capabilities?.add ?? [])
      if (cap !== "NET_BIND_SERVICE") out.push(`${at}.capabilities.add ${cap}`);
    if (sc.procMount !== undefined && sc.procMount !== "Default") out.push(`${at}.procMount`);
    if (sc.seLinuxOptions && !SELINUX_TYPES.has(sc.seLinuxOptions.type ?? ""))
      out.push(`${at}.seLinuxOptions.type`);
    if (sc.appArmorProfile?.type === "Unconfined") out.push(`${at}.appArmorProfile`);
    if (sc.windowsOptions?.hostProcess) out.push(`${at}.windowsOptions.hostProcess`);
    for (const p of c.ports ?? [])
      if (p.hostPort) out.push(`container ${c.name}: ports.hostPort ${p.hostPort}`);
  }
  return out;
}
