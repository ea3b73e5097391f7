import type { Plan } from "../plan/plan.ts";
import { decodeBitmap } from "../schedule/progress.ts";
import { DELETED, DONE, initialState, type ChainState } from "../schedule/types.ts";
import type { Checked, Issue } from "../spec/issues.ts";
import { unpackNodes, unpackNumbers } from "./lane-encoding.ts";
import type { ChainStatus, LaneRecord } from "./status.ts";

/** The parts of a written status a restarted operator reads back. */
export type RecordedStatus = Partial<Pick<ChainStatus, "phase" | "conditions" | "stages" | "lanes">>;

/**
 * The scheduler's state after an operator restart, from the status alone. The plan must be made with
 * `status.lanes.count` lanes (lanes are fixed when a chain is first planned; `parallelism` may have
 * changed since).
 *
 * - A done task becomes DELETED when it has readers and all of them are done, else DONE. The status does
 *   not tell done from deleted; the scheduler deletes exactly such tiles, so they may well be gone, and
 *   lineage treats a DELETED tile that is needed again as one to recompute, while it would trust a DONE
 *   one to still be there. The cost of guessing wrong this way is a tile recomputed or left on scratch
 *   until its lane's volume goes, never a read of a missing tile.
 * - Every other task is PENDING: running batches are recovered from their pods, which carry their tasks.
 *   Batches waiting to retry start afresh (their failure counts are on their kept pods).
 * - `moved` is forgotten: a moved tile is then treated as living on its own lane (recomputed if that
 *   lane is lost), which is safe.
 */
export function stateFromStatus(plan: Plan, status: RecordedStatus | undefined): Checked<ChainState> {
  const total = plan.dag.stageStart[plan.stages.length]!;
  const lanes = plan.lanes.count;
  if (!status?.stages || !status.lanes) return { ok: true, value: initialState(total, lanes) };
  const issues: Issue[] = [];
  const issue = (path: string, message: string) => issues.push({ code: "status-mismatch", path, message });
  if (status.lanes.count !== lanes)
    issue("status.lanes.count", `${status.lanes.count} lanes recorded, the plan has ${lanes}`);
  if (status.stages.length !== plan.stages.length)
    issue("status.stages", `${status.stages.length} stages recorded, the plan has ${plan.stages.length}`);
  if (issues.length) return { ok: false, issues };

  const state = initialState(total, lanes);
  const { tasks } = state;
  plan.stages.forEach((stage, i) => {
    const recorded = status.stages![i]!;
    const start = plan.dag.stageStart[i]!;
    const n = plan.dag.stageStart[i + 1]! - start;
    if (recorded.name !== stage.name || recorded.tiles !== n) {
      issue(
        `status.stages[${i}]`,
        `stage ${recorded.name} of ${recorded.tiles} tiles, the plan has ${stage.name} of ${n}`,
      );
      return;
    }
    try {
      const done = decodeBitmap(recorded.done, n);
      for (let p = 0; p < n; p++) if (done[p] === 1) tasks[start + p] = DONE;
    } catch (e) {
      issue(`status.stages[${i}].done`, (e as Error).message);
    }
  });
  let nextBatch: number[] = [];
  try {
    nextBatch = unpackNumbers(status.lanes.batches, lanes);
  } catch (e) {
    issue("status.lanes.batches", (e as Error).message);
  }
  if (issues.length) return { ok: false, issues };

  const { consumerStart, consumers } = plan.dag;
  for (let t = 0; t < total; t++) {
    if (tasks[t] !== DONE || consumerStart[t] === consumerStart[t + 1]) continue;
    let readersDone = true;
    for (let e = consumerStart[t]!; e < consumerStart[t + 1]! && readersDone; e++)
      readersDone = tasks[consumers[e]!]! >= DONE;
    if (readersDone) tasks[t] = DELETED;
  }
  const failure =
    status.phase === "Failed"
      ? (status.conditions?.find((c) => c.type === "Failed")?.message ?? "failed")
      : null;
  return { ok: true, value: { ...state, nextBatch, failure } };
}

/** Each lane's node and volume generation as recorded; fresh lanes when the status has none yet. */
export function lanesFromStatus(count: number, status: RecordedStatus | undefined): Checked<LaneRecord[]> {
  if (!status?.lanes)
    return { ok: true, value: Array.from({ length: count }, () => ({ node: null, volume: 0 })) };
  try {
    if (status.lanes.count !== count)
      throw new RangeError(`${status.lanes.count} lanes recorded, expected ${count}`);
    const nodes = unpackNodes(status.lanes.nodes, count);
    const volumes = unpackNumbers(status.lanes.volumes, count);
    return { ok: true, value: nodes.map((node, i) => ({ node, volume: volumes[i]! })) };
  } catch (e) {
    return {
      ok: false,
      issues: [{ code: "status-mismatch", path: "status.lanes", message: (e as Error).message }],
    };
  }
}
