/**
 * Lease leader election on the emulator (which serves coordination.k8s.io/v1 Leases): of two
 * electors only one leads; the other takes over when the leader stops renewing (crash) or releases;
 * a leader that cannot renew steps down before its lease runs out.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { microTime, startLeaderElection, type LeaderElector } from "../../operator/kube/leader.ts";
import { kubeJson } from "../../operator/kube/kube-http.ts";
import { startApiServer, type ApiServer } from "../cluster/server.ts";
import { kubeConfigOf, until } from "../cluster/testing.ts";

let server: ApiServer;
let kc: KubeConfig;

beforeAll(async () => {
  server = await startApiServer();
  kc = kubeConfigOf(server);
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: "le" } } });
});
afterAll(async () => server.stop());

interface LeaseSpec {
  holderIdentity?: string;
  renewTime?: string;
  leaseTransitions?: number;
  leaseDurationSeconds?: number;
}
const lease = async (name: string) =>
  (await kubeJson(kc, "GET", `/apis/coordination.k8s.io/v1/namespaces/le/leases/${name}`)).spec as LeaseSpec;

/** Two electors on one Lease, with a log of who leads and a check that terms never overlap. */
function pair(name: string) {
  const leading = new Map<string, AbortSignal>();
  const log: string[] = [];
  const electors: Record<string, LeaderElector> = {};
  for (const id of ["a", "b"]) {
    electors[id] = startLeaderElection({
      kc,
      namespace: "le",
      name,
      identity: id,
      leaseDurationMs: 1000,
      renewDeadlineMs: 600,
      retryPeriodMs: 100,
      onStartedLeading: (signal) => {
        expect([...leading.keys()], `${id} leads while another does`).toEqual([]);
        leading.set(id, signal);
        log.push(`${id} leads`);
        signal.addEventListener("abort", () => leading.delete(id));
      },
      onStoppedLeading: () => log.push(`${id} stops`),
    });
  }
  return { electors, log, leading };
}

describe("leader election", () => {
  it("one of two leads; the other takes over once the leader stops renewing", async () => {
    const { electors, log, leading } = pair("crash");
    try {
      const first = await until("a leader", () => [...leading.keys()][0]);
      const second = first === "a" ? "b" : "a";
      // Several renewals while the other keeps contending: the holder stays the same.
      const seen = new Set<string>();
      await until("three renewals", async () => {
        const s = await lease("crash");
        expect(s.holderIdentity).toBe(first);
        seen.add(s.renewTime ?? "");
        return seen.size >= 3;
      });
      expect((await lease("crash")).renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      expect(electors[second]!.isLeader).toBe(false);
      const firstSignal = leading.get(first)!;

      await electors[first]!.stop(); // like a kill: no release, the lease must expire
      expect(firstSignal.aborted).toBe(true);
      await until("the other takes over", () => leading.has(second), 5000);
      const s = await lease("crash");
      expect(s.holderIdentity).toBe(second);
      expect(s.leaseTransitions).toBe(1);
      expect(log).toEqual([`${first} leads`, `${first} stops`, `${second} leads`]);
    } finally {
      await Promise.all(Object.values(electors).map((e) => e.stop()));
    }
  });

  it("a released lease is taken over without waiting for it to expire", async () => {
    const { electors, leading } = pair("release");
    try {
      const first = await until("a leader", () => [...leading.keys()][0]);
      const second = first === "a" ? "b" : "a";
      await electors[first]!.stop({ release: true });
      expect((await lease("release")).holderIdentity).toBe("");
      await until("the other takes over", () => leading.has(second), 5000);
    } finally {
      await Promise.all(Object.values(electors).map((e) => e.stop()));
    }
  });

  it("a leader that cannot renew steps down, and leadership resumes when the API heals", async () => {
    const { electors, log, leading } = pair("partition");
    try {
      const first = await until("a leader", () => [...leading.keys()][0]);
      const signal = leading.get(first)!;
      server.faults.failure = { code: 500, fraction: 1, methods: ["PUT"] };
      await until("step down", () => signal.aborted, 5000);
      expect(electors[first]!.isLeader).toBe(false);
      expect(leading.size).toBe(0);
      server.faults.failure = undefined;
      await until("a leader again", () => leading.size === 1, 5000);
      expect(log.slice(0, 2)).toEqual([`${first} leads`, `${first} stops`]);
    } finally {
      server.faults.failure = undefined;
      await Promise.all(Object.values(electors).map((e) => e.stop()));
    }
  });
});

describe("microTime", () => {
  it("writes six fractional digits", () => {
    expect(microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe("2026-01-02T03:04:05.678000Z");
  });
});
