/** Reading a chain file (a full ImageChain manifest or a bare spec): every way it can be wrong is a UsageError. */
import { readFile } from "node:fs/promises";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { formatIssues, type Issue } from "../spec/issues.ts";
import type { ImageChainSpec } from "../spec/schema.ts";
import { manifestParts } from "../spec/manifest.ts";
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
  const { spec, metadata } = manifestParts(doc);
  const name = typeof metadata?.name === "string" ? metadata.name : "imagechain";
  const checked = validateSpec(spec);
  if (!checked.ok) throw invalidChain(file, checked.issues);
  return { spec: checked.value, name };
}
