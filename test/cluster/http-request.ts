/** Reading a Kubernetes API request: path into a resource address, body by content type. */
import type { IncomingMessage } from "node:http";
import { parse as parseYaml } from "yaml";
import type { PatchType } from "./api.ts";
import { ApiError, badRequest } from "./errors.ts";
import type { Registry, ResourceType } from "./resources.ts";

export interface ResourceAddress {
  readonly type: ResourceType;
  readonly version: string;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly subresource: string | undefined;
}

/** Splits `/api/v1/...` or `/apis/<group>/<version>/...` into group, version and the rest. */
export function groupVersionPath(
  segments: readonly string[],
): { group: string; version: string; rest: string[] } | undefined {
  if (segments[0] === "api" && segments.length >= 2)
    return { group: "", version: segments[1], rest: segments.slice(2) };
  if (segments[0] === "apis" && segments.length >= 3)
    return { group: segments[1], version: segments[2], rest: segments.slice(3) };
  return undefined;
}

export function resourceAddress(
  registry: Registry,
  group: string,
  version: string,
  rest: readonly string[],
): ResourceAddress | undefined {
  if (rest[0] === "namespaces" && rest.length >= 3) {
    const type = registry.get(group, version, rest[2]);
    if (type?.namespaced) {
      return { type, version, namespace: rest[1], name: rest[3], subresource: rest[4] };
    }
  }
  const type = registry.get(group, version, rest[0] ?? "");
  if (!type || rest.length > 3) return undefined;
  return { type, version, namespace: undefined, name: rest[1], subresource: rest[2] };
}

/** The API server's request body limit. */
const BODY_LIMIT = 3 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > BODY_LIMIT)
      throw new ApiError(413, "RequestEntityTooLarge", `Request entity too large: limit is ${BODY_LIMIT}`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export function parseBody(text: string, contentType: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return contentType.includes("yaml") ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw badRequest(
      `the request body is not valid ${contentType.includes("yaml") ? "YAML" : "JSON"}: ${(e as Error).message}`,
    );
  }
}

export function patchTypeOf(contentType: string): PatchType {
  if (contentType.startsWith("application/json-patch+json")) return "json";
  if (contentType.startsWith("application/merge-patch+json")) return "merge";
  if (contentType.startsWith("application/strategic-merge-patch+json")) return "strategic";
  if (
    contentType.startsWith("application/apply-patch+yaml") ||
    contentType.startsWith("application/apply-patch+cbor")
  )
    return "apply";
  throw badRequest(`unsupported patch content type "${contentType}"`);
}
