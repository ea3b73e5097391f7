/** Kubernetes `Status` failures: the body every error response carries (metav1.Status). */

export interface StatusCause {
  readonly reason: string;
  readonly message: string;
  readonly field?: string;
}

export interface StatusDetails {
  readonly name?: string;
  readonly group?: string;
  readonly kind?: string;
  readonly causes?: readonly StatusCause[];
  readonly retryAfterSeconds?: number;
}

export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: StatusDetails | undefined;

  constructor(code: number, reason: string, message: string, details?: StatusDetails) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  toStatus(): Record<string, unknown> {
    return {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** What a Status names: `pods "x"` or `imagechains.imagechain.io "x"`. */
export interface Target {
  readonly group: string;
  readonly plural: string;
  readonly kind: string;
  readonly name: string;
}

function qualified(t: Target): string {
  return t.group ? `${t.plural}.${t.group}` : t.plural;
}

export function notFound(t: Target): ApiError {
  return new ApiError(404, "NotFound", `${qualified(t)} "${t.name}" not found`, {
    name: t.name,
    group: t.group,
    kind: t.plural,
  });
}

export function alreadyExists(t: Target): ApiError {
  return new ApiError(409, "AlreadyExists", `${qualified(t)} "${t.name}" already exists`, {
    name: t.name,
    group: t.group,
    kind: t.plural,
  });
}

export function conflict(t: Target, why: string): ApiError {
  return new ApiError(
    409,
    "Conflict",
    `Operation cannot be fulfilled on ${qualified(t)} "${t.name}": ${why}`,
    { name: t.name, group: t.group, kind: t.plural },
  );
}

export const STALE =
  "the object has been modified; please apply your changes to the latest version and try again";

export function invalid(t: Target, causes: readonly StatusCause[]): ApiError {
  const kindGroup = t.group ? `${t.kind}.${t.group}` : t.kind;
  const list = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
  const summary = list.length === 1 ? list[0] : `[${list.join(", ")}]`;
  return new ApiError(422, "Invalid", `${kindGroup} "${t.name}" is invalid: ${summary}`, {
    name: t.name,
    group: t.group,
    kind: t.kind,
    causes,
  });
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, "BadRequest", message);
}

export function methodNotAllowed(message: string): ApiError {
  return new ApiError(405, "MethodNotAllowed", message);
}

export function gone(message: string): ApiError {
  return new ApiError(410, "Expired", message);
}
