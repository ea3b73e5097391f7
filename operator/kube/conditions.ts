/**
 * metav1.Condition as the status holds it (JSON: times are RFC 3339 strings, which client-node's
 * V1Condition types as Date). kstatus reads Reconciling and Stalled; Ready, Complete, Failed and
 * Suspended say the rest to people and GitOps tools.
 */
export interface Condition {
  readonly type: ConditionType;
  readonly status: "True" | "False" | "Unknown";
  readonly observedGeneration: number;
  readonly lastTransitionTime: string;
  readonly reason: string;
  readonly message: string;
}

export const CONDITION_TYPES = [
  "Ready",
  "Reconciling",
  "Stalled",
  "Complete",
  "Failed",
  "Suspended",
] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

export type ConditionValue = Pick<Condition, "status" | "reason" | "message">;

/** Long enough for a failure naming a tile, its URI and the cause; the status stays small. */
export const MAX_MESSAGE = 2048;

/**
 * Every condition type, in a fixed order. A condition keeps its lastTransitionTime while its status
 * stays the same (as metav1 means it: the time of the last change of status, not of reason or message).
 */
export function conditions(
  values: Readonly<Record<ConditionType, ConditionValue>>,
  generation: number,
  now: string,
  previous: readonly Condition[] = [],
): Condition[] {
  return CONDITION_TYPES.map((type) => {
    const v = values[type];
    const before = previous.find((c) => c.type === type);
    return {
      type,
      status: v.status,
      observedGeneration: generation,
      lastTransitionTime: before && before.status === v.status ? before.lastTransitionTime : now,
      reason: v.reason,
      message: v.message.length > MAX_MESSAGE ? `${v.message.slice(0, MAX_MESSAGE - 1)}…` : v.message,
    };
  });
}

/** An RFC 3339 time to the second, as metav1.Time is written. */
export function rfc3339(at: Date | number): string {
  return new Date(at).toISOString().replace(/\.\d{3}Z$/, "Z");
}
