/** Faults injected into API requests: a share of failures with a chosen status, and latency. */
import { ApiError } from "./errors.ts";

export interface FailureRule {
  /** 409, 429 or 500. */
  readonly code: 409 | 429 | 500;
  /** Share of matching requests that fail, in [0, 1]. */
  readonly fraction: number;
  /** HTTP methods the rule applies to; all when absent. */
  readonly methods?: readonly string[];
}

const REASONS = { 409: "Conflict", 429: "TooManyRequests", 500: "InternalError" } as const;

export class RequestFaults {
  latencyMs = 0;
  failure: FailureRule | undefined;
  /** Injected so that tests can make the share deterministic. */
  random: () => number = Math.random;
  injected = 0;

  /** The error to answer instead of serving the request, if this request is one that fails. */
  draw(method: string): ApiError | undefined {
    const rule = this.failure;
    if (!rule || (rule.methods && !rule.methods.includes(method))) return undefined;
    if (this.random() >= rule.fraction) return undefined;
    this.injected++;
    const message = `injected fault: ${REASONS[rule.code]}`;
    return new ApiError(
      rule.code,
      REASONS[rule.code],
      message,
      rule.code === 429 ? { retryAfterSeconds: 1 } : undefined,
    );
  }
}
