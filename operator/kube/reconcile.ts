/**
 * Reconcile one ImageChain, level-triggered: from the chain and its pods as the stores hold them (never
 * from the event that queued the key), rebuild the scheduler's state (the status, then the pods replayed
 * onto it), ask schedule() what to do, do it, and write the status. Pod names are deterministic, so doing
 * the same thing twice creates nothing twice; a Succeeded pod is deleted only once the status as read
 * records its tasks, so a completion is never lost.
 */
import { CoreV1Api, type KubeConfig, type V1Pod } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { isIoError } from "../../worker/io/errors.ts";
import type { S3Options } from "../../worker/io/s3.ts";
import { keysOf } from "../../worker/run/products.ts";
import { s3Scratch } from "../../worker/run/s3-scratch.ts";
import type { Scratch } from "../../worker/run/scratch.ts";
import { openSources, s3OptionsOf } from "../../worker/run/sources.ts";
import { plan, type Plan } from "../plan/plan.ts";
import { schedule } from "../schedule/schedule.ts";
import { observe } from "../schedule/transitions.ts";
import { formatIssues } from "../spec/issues.ts";
import type { ImageChainSpec } from "../spec/schema.ts";
import { validateSpec } from "../spec/validate.ts";
import { chainConfigMap } from "./chain-config.ts";
import { chainWrites } from "./chain-writes.ts";
import {
  collectDeletedChain,
  deleteLaneClaims,
  dropScratchFinalizer,
  hasScratchFinalizer,
  postEvent,
  putFinalizers,
  warn,
  type CollectedChain,
} from "./collect.ts";
import { Expectations } from "./expectations.ts";
import {
  failedPodsDue,
  finishedLanes,
  lanesInUse,
  SCRATCH_FINALIZER,
  SCRATCH_GIVE_UP_MS,
  sooner,
} from "./gc.ts";
import { laneClaim, laneVolumeName } from "./lane-claim.ts";
import { LABEL, type ChainMeta } from "./meta.ts";
import type { OperatorMetrics } from "./metrics.ts";
import {
  CREATED_ANNOTATION,
  observePods,
  podBatch,
  recorded,
  type PodBatch,
  type PodObject,
} from "./observed-pods.ts";
import { NODE_LOST_AFTER_MS, nodeLoss, nodeVerdict, type NodeObject } from "./nodes.ts";
import { batchPod } from "./pods.ts";
import type { ReconcileResult } from "./queue.ts";
import { lanesFromStatus, stateFromStatus, type RecordedStatus } from "./restore.ts";
import { removeSharedScratch, sharedScratchUri } from "./shared-scratch.ts";
import { outputSizes, unwritableOutput } from "./outputs.ts";
import { chainStatus, invalidSpecStatus, stalledStatus, type LaneRecord } from "./status.ts";
import type { KubeObject, Store } from "./store.ts";

/** An ImageChain as the API sends it. */
export interface ChainObject extends KubeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: CollectedChain["metadata"] & { readonly generation?: number };
  readonly spec?: unknown;
  readonly status?: RecordedStatus & {
    readonly observedGeneration?: number;
    readonly [field: string]: unknown;
  };
}

export interface ReconcilerOptions {
  readonly kc: KubeConfig;
  readonly chains: Store<ChainObject>;
  readonly pods: Store<PodObject>;
  readonly claims: Store<KubeObject>;
  /** The cluster's nodes: a lane whose node is gone is lost. Absent (or not yet listed): none is gone. */
  readonly nodes?: Store<NodeObject>;
  /** The worker image when the spec names none (the operator's own image holds the worker). */
  readonly image: string;
  readonly command?: readonly string[];
  /** A base S3 prefix for every chain's shared scratch; default: the bucket of each chain's first S3 output. */
  readonly scratchUri?: string;
  /** S3 credentials of the operator itself (reading headers, deleting scratch); default: the environment. */
  readonly credentials?: S3Options["credentials"];
  readonly now?: () => number;
  /** How long a lane waits for its node to be Ready again before the lane counts as lost; default 5 minutes. */
  readonly nodeLostAfterMs?: number;
  /** How long a deleted chain waits for S3 to empty its shared scratch; default 10 minutes. */
  readonly scratchGiveUpMs?: number;
  /** The worker pods' ServiceAccount; default: the namespace's default one (its token is never mounted). */
  readonly workerServiceAccount?: string;
  /** The storage class of lane volumes whose chain names none; default: the cluster's default class. */
  readonly defaultStorageClass?: string;
  /** Milestones (planned, lane lost, retries, the end) and each batch started (debug), with chain and lane. */
  readonly log?: Pick<Logger, "info" | "warn" | "debug">;
  /** A last change to each pod before it is created (the tests' emulator needs one). */
  readonly decoratePod?: (pod: V1Pod) => V1Pod;
  readonly metrics?: OperatorMetrics;
}

export function createReconciler(o: ReconcilerOptions): (key: string) => Promise<ReconcileResult> {
  const now = o.now ?? Date.now;
  const plans = new Map<string, Plan>(); // by uid/generation/lanes: sources, steps and tiling are immutable
  const configs = new Set<string>(); // chain uids whose ConfigMap exists
  const messages = new Map<string, string>(); // failed pods' causes, by pod name (their logs do not change)
  const scratches = new Map<string, Scratch>();
  const core = o.kc.makeApiClient(CoreV1Api);
  const expectations = new Expectations();

  const s3Of = (spec: ImageChainSpec): S3Options => ({
    ...s3OptionsOf(spec),
    ...(o.credentials ? { credentials: o.credentials } : {}),
  });

  const { writeStatus, create, deletePod, deleteStaleClaims } = chainWrites({
    kc: o.kc,
    claims: o.claims,
    expectations,
    now,
    ...(o.log ? { log: o.log } : {}),
  });
  /** A failed pod's cause: the worker's last line on stderr names the tile or URI at fault. */
  const causeOf = async (namespace: string, b: PodBatch): Promise<void> => {
    if (b.end.kind !== "failed" || messages.has(b.pod)) return;
    const log = await core.readNamespacedPodLog({ name: b.pod, namespace, tailLines: 20 }).catch(() => "");
    const lines = String(log).trim().split("\n");
    const last = lines.findLast((l) => l.startsWith("imagechain worker: ")) ?? lines.at(-1) ?? "";
    const cause = last.replace(/^imagechain worker: /, "") || `exit code ${b.exitCode ?? "none"}`;
    messages.set(b.pod, `pod ${b.pod}: ${cause}`);
  };

  /** Plans the chain, or says why it cannot be planned (a message naming the field or URI). */
  const planOf = async (meta: ChainMeta, generation: number, spec: ImageChainSpec, lanes: number) => {
    const key = `${meta.uid}/${generation}/${lanes}`;
    const known = plans.get(key);
    if (known) return { ok: true as const, plan: known };
    let sources;
    try {
      sources = await openSources(spec, s3Of(spec));
    } catch (e) {
      if (isIoError(e) && e.permanent) return { ok: false as const, message: e.message };
      throw e;
    }
    await sources.close();
    const planned = plan(spec, sources.grids, { lanes });
    if (!planned.ok) return { ok: false as const, message: formatIssues(planned.issues) };
    for (const k of plans.keys()) if (k.startsWith(`${meta.uid}/`)) plans.delete(k);
    plans.set(key, planned.value);
    return { ok: true as const, plan: planned.value };
  };

  /** A chain left the store: what was cached for chains and pods that no longer exist goes too. */
  const forgetGone = () => {
    const uids = new Set(o.chains.list().flatMap((c) => c.metadata?.uid ?? []));
    const pods = new Set(o.pods.list().flatMap((p) => p.metadata?.name ?? []));
    for (const k of plans.keys()) if (!uids.has(k.split("/")[0]!)) plans.delete(k);
    for (const uid of configs) if (!uids.has(uid)) configs.delete(uid);
    for (const uri of scratches.keys()) if (![...uids].some((u) => uri.includes(u))) scratches.delete(uri);
    for (const pod of messages.keys()) if (!pods.has(pod)) messages.delete(pod);
  };

  return async (key) => {
    const chain = o.chains.get(key);
    if (!chain?.metadata?.uid || !chain.metadata.name || !chain.metadata.namespace) {
      expectations.forget(key);
      forgetGone();
      return {};
    }
    const namespace = chain.metadata.namespace;
    const wait = expectations.waitMs(key, now(), chain.metadata.resourceVersion, (name) =>
      Boolean(o.pods.get(`${namespace}/${name}`)),
    );
    if (wait > 0) return { requeueAfterMs: wait };
    const meta: ChainMeta = {
      name: chain.metadata.name,
      namespace: chain.metadata.namespace,
      uid: chain.metadata.uid,
    };
    const generation = chain.metadata.generation ?? 1;
    const status = chain.status;
    const owned = o.pods
      .list()
      .filter(
        (p) => p.metadata?.namespace === meta.namespace && p.metadata.labels?.[LABEL.chainUid] === meta.uid,
      );
    const batches = owned.flatMap((p) => podBatch(p) ?? []);
    const checked = validateSpec(chain.spec);
    // Our own write to the chain: later reconciles wait until the store shows it (no 409 on a stale read).
    const wroteChain = () =>
      expectations.wrote(key, now(), {
        ...(chain.metadata!.resourceVersion ? { readVersion: chain.metadata!.resourceVersion } : {}),
      });

    if (chain.metadata.deletionTimestamp) {
      if (!hasScratchFinalizer(chain)) return {};
      const spec = checked.ok ? checked.value : null;
      const uri = spec && sharedScratchUri(spec, meta, o.scratchUri);
      const again = await collectDeletedChain({
        kc: o.kc,
        chain,
        meta,
        pods: owned.map((p) => p.metadata!.name!),
        deletePod,
        scratch: spec && uri ? { uri, s3: s3Of(spec) } : null,
        now: now(),
        giveUpMs: o.scratchGiveUpMs ?? SCRATCH_GIVE_UP_MS,
      });
      if (again !== undefined) return { requeueAfterMs: again };
      wroteChain();
      return {};
    }
    if (
      (status?.phase === "Succeeded" || status?.phase === "Failed") &&
      status.observedGeneration === generation
    ) {
      // Finished: nothing more runs; failed pods stay for their logs, their time to live.
      const ttl = checked.ok ? checked.value.ttlSecondsAfterFinished : 0;
      const due = failedPodsDue(batches, ttl, now(), null);
      for (const b of batches)
        if (b.end.kind !== "failed" || due.expired.includes(b.pod)) await deletePod(meta.namespace, b.pod);
      const inUse = lanesInUse(batches);
      await deleteLaneClaims(o.kc, o.claims, meta, (lane) => !inUse.has(lane));
      if (inUse.size === 0 && hasScratchFinalizer(chain)) {
        const uri = checked.ok ? sharedScratchUri(checked.value, meta, o.scratchUri) : null;
        if (checked.ok && uri) await removeSharedScratch(uri, s3Of(checked.value));
        await dropScratchFinalizer(o.kc, chain);
        wroteChain();
      }
      return due.nextInMs === undefined ? {} : { requeueAfterMs: due.nextInMs };
    }
    const fail = async (message: string) => {
      await writeStatus(key, meta, chain, invalidSpecStatus(generation, message, now(), status?.conditions));
      return {};
    };
    if (!checked.ok) return fail(formatIssues(checked.issues));
    const spec = checked.value;
    const unwritable = unwritableOutput(spec);
    if (unwritable) return fail(unwritable);
    const shared = sharedScratchUri(spec, meta, o.scratchUri)!;
    const lanes = status?.lanes?.count ?? spec.execution.parallelism;
    const planned = await planOf(meta, generation, spec, lanes);
    if (!planned.ok) return fail(planned.message);
    const p = planned.plan;

    const restored = stateFromStatus(p, status);
    const laneRecords = lanesFromStatus(lanes, status);
    if (!restored.ok || !laneRecords.ok) {
      const issues = [...(restored.ok ? [] : restored.issues), ...(laneRecords.ok ? [] : laneRecords.issues)];
      const message = `the status does not fit this chain's plan (written by another version of imagechain?); recreate the chain: ${formatIssues(issues)}`;
      o.log?.warn({ chain: key, reason: message }, "status does not fit the plan");
      await writeStatus(key, meta, chain, stalledStatus(status ?? {}, generation, message, now()));
      return {};
    }
    if (!hasScratchFinalizer(chain)) {
      // Before the first pod: from now on a deletion of the chain waits until its shared scratch is emptied.
      await putFinalizers(o.kc, chain, [...(chain.metadata.finalizers ?? []), SCRATCH_FINALIZER]);
      wroteChain();
      o.log?.info({ chain: key, tasks: p.order.length, lanes, stages: p.stages.length }, "planned");
      await postEvent(o.kc, meta, "Normal", "Planned", `${p.order.length} tasks in ${lanes} lanes`, now());
      return {};
    }
    if (!configs.has(meta.uid)) {
      await create(`/api/v1/namespaces/${meta.namespace}/configmaps`, chainConfigMap(meta, p.spec));
      configs.add(meta.uid);
    }
    // The lane's volume binds on the node of its first pod: every later pod of the lane goes there, and
    // the volume is lost with the node: the lane starts a new one, and what it held and is needed is redone.
    let nodeRecheckMs: number | undefined;
    const usable = (name: string) => {
      if (!o.nodes?.synced) return true;
      const verdict = nodeVerdict(o.nodes.get(name), now(), o.nodeLostAfterMs ?? NODE_LOST_AFTER_MS);
      nodeRecheckMs = sooner(nodeRecheckMs, verdict.recheckInMs);
      return !verdict.lost;
    };
    const nodes = nodeLoss(
      laneRecords.value,
      owned.flatMap((pod) => {
        const batch = podBatch(pod);
        return batch ? [{ pod, batch }] : [];
      }),
      usable,
      now(),
    );
    const records: readonly LaneRecord[] = nodes.records;
    const live = nodes.batches;
    await Promise.all(live.map((b) => causeOf(meta.namespace, b)));
    let state = observePods(p, restored.value, live, messages);
    for (const { lane } of nodes.lost) state = observe(p, state, { type: "LaneLost", lane }).state;

    const at = now();
    const actions = schedule(p, state, at, {
      parallelism: spec.execution.parallelism,
      tasksPerPod: spec.execution.tasksPerPod,
      suspend: spec.suspend,
    });
    let requeueAfterMs: number | undefined;
    let made = 0;
    let complete = false;
    for (const a of actions) {
      switch (a.type) {
        case "DeleteTiles": {
          // Shared scratch only: a lane volume's tiles go with the volume.
          const scratch = scratches.get(shared) ?? s3Scratch(shared, s3Of(spec));
          scratches.set(shared, scratch);
          await scratch.remove(
            a.lane,
            a.tasks.flatMap((t) => keysOf(p, t)),
          );
          state = observe(p, state, { type: "TilesDeleted", tasks: a.tasks }).state;
          break;
        }
        case "StartBatch": {
          const record = records[a.lane]!;
          if (spec.execution.scratch.mode === "volume") {
            const claim = laneClaim(meta, a.lane, spec, record.volume, o.defaultStorageClass);
            const name = laneVolumeName(meta, a.lane, record.volume);
            if (!o.claims.get(`${meta.namespace}/${name}`))
              await create(`/api/v1/namespaces/${meta.namespace}/persistentvolumeclaims`, claim);
          }
          const pod = batchPod(meta, p, a, {
            spec,
            image: o.image,
            ...(o.command ? { command: o.command } : {}),
            ...(o.workerServiceAccount ? { serviceAccountName: o.workerServiceAccount } : {}),
            laneNode: record.node,
            volume: record.volume,
          });
          pod.spec!.containers[0]!.args!.push("--shared", shared);
          pod.metadata!.annotations![CREATED_ANNOTATION] = `${at}.${made++}`;
          const fresh = await create(
            `/api/v1/namespaces/${meta.namespace}/pods`,
            o.decoratePod ? o.decoratePod(pod) : pod,
          );
          expectations.wrote(key, now(), { pods: [pod.metadata!.name!] });
          if (fresh) o.metrics?.podCreated();
          const fields = { chain: key, lane: a.lane, batch: a.batch, attempt: a.attempt, node: record.node };
          if (fresh) o.log?.debug({ ...fields, tasks: a.tasks.length }, "batch started");
          if (fresh && a.attempt > 1) {
            o.log?.info(fields, "batch retried");
            await postEvent(o.kc, meta, "Normal", "Retrying", `batch ${a.batch} attempt ${a.attempt}`, now());
          }
          state = observe(p, state, { ...a, type: "BatchStarted" }).state;
          break;
        }
        case "RequeueAfter":
          requeueAfterMs = a.ms;
          break;
        case "Complete":
          complete = true;
          break;
        case "FailChain":
          break; // the state holds the failure: the status says Failed
      }
    }
    // Nothing reads shared scratch once the outputs are written; a later repeat finds it empty.
    if (complete) await removeSharedScratch(shared, s3Of(spec));
    const outputs = complete ? await outputSizes(spec, s3Of(spec)) : null;
    const next = chainStatus({
      generation,
      plan: p,
      state,
      lanes: records,
      suspend: spec.suspend,
      now: at,
      previous: status,
      ...(outputs ? { outputs: outputs.sizes } : {}),
    });
    await writeStatus(key, meta, chain, next as unknown as Record<string, unknown>);
    if (outputs?.missing.length && status?.phase !== "Succeeded") {
      const message = `assembled but not found in S3: ${outputs.missing.join(", ")}`;
      o.log?.warn({ chain: key, missing: outputs.missing }, "outputs missing");
      await warn(o.kc, meta, "OutputMissing", message, at);
    }
    o.metrics?.observeChain(key, state.tasks, JSON.stringify(next).length);
    // The losses are recorded (volume generations up): the lost volumes' pods and claims may go.
    for (const { lane, node } of nodes.lost) {
      o.log?.warn({ chain: key, lane, node }, "lane lost its node");
      await warn(
        o.kc,
        meta,
        "LaneLost",
        `lane ${lane} lost its node ${node} and its volume; the tiles still needed are recomputed`,
        at,
      );
    }
    for (const pod of nodes.doomed) await deletePod(meta.namespace, pod);
    await deleteStaleClaims(meta, records);
    for (const b of live) if (recorded(restored.value, b)) await deletePod(meta.namespace, b.pod);
    // Its lost input is now being redone, as the status says: replayed again, it would redo it twice.
    for (const b of live) {
      if (b.end.kind !== "failed" || b.end.reason !== "input-lost") continue;
      o.log?.warn({ chain: key, lane: b.lane, pod: b.pod, cause: messages.get(b.pod) }, "input tile lost");
      await deletePod(meta.namespace, b.pod);
      messages.delete(b.pod);
    }
    const due = failedPodsDue(live, spec.ttlSecondsAfterFinished, now(), restored.value);
    for (const pod of due.expired) {
      await deletePod(meta.namespace, pod);
      messages.delete(pod);
    }
    // The state as written: a lane's volume goes once the status says nothing will need it again.
    const finished = finishedLanes(p, state, live);
    const inUse = lanesInUse(live);
    await deleteLaneClaims(o.kc, o.claims, meta, (l) => (complete && !inUse.has(l)) || finished.has(l));
    const again = sooner(sooner(requeueAfterMs, due.nextInMs), nodeRecheckMs);
    return again === undefined ? {} : { requeueAfterMs: again };
  };
}
