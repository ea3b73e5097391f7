/** Reading a chain file (a full ImageChain manifest or a bare spec): every way it can be wrong is a UsageError. */
import { readFile } from "node:fs/promises";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { formatIssues, type Issue } from "../spec/issues.ts";
import type { ImageChainSpec } from "../spec/schema.ts";
import { validateSpec } from "../spec/validate.ts";
import { UsageError } from "./failure.ts";

export interface ChainFile {
  readonly spec: ImageChainSpec;
  readonly name: string;
}

export function invalidChain(file: string, issues: readonly Issue[]): UsageError {
  return new UsageError(`${file} is not a valid chain:\n${formatIssues(issues)}`);
}

export async function loadChain(file: string): Promise<ChainFile> {
  const text = await readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(`${file}: cannot read the chain file (${e.code ?? e.message})`);
  });
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    if (e instanceof YAMLParseError) throw new UsageError(`${file}: not valid YAML: ${e.message}`);
    throw e;
  }
  const { spec, name } = specOf(doc);
  const checked = validateSpec(spec);
  if (!checked.ok) throw invalidChain(file, checked.issues);
  return { spec: checked.value, name };
}

/** A full ImageChain resource or a bare spec. */
function specOf(doc: unknown): { spec: unknown; name: string } {
  if (doc !== null && typeof doc === "object" && "spec" in doc && "kind" in doc) {
    const meta = (doc as { metadata?: { name?: unknown } }).metadata;
    return { spec: doc.spec, name: typeof meta?.name === "string" ? meta.name : "imagechain" };
  }
  return { spec: doc, name: "imagechain" };
}
