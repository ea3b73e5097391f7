/**
 * docs/reference.md from the CRD (crds/imagechain.io_imagechains.yaml): one row per field with its type,
 * default, bounds and description, the CEL rules, the printer columns. Regenerate with
 * `node test/helpers/crd-reference.ts`; test/deploy/crd-reference.test.ts fails when the file is stale.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { format, resolveConfig } from "prettier";
import { parse } from "yaml";
import { CRD_FILE } from "../../operator/spec/crd.ts";

export const REFERENCE_FILE = resolve(import.meta.dirname, "../../docs/reference.md");

interface Schema {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-validations"?: { rule: string; message?: string }[];
}

interface Crd {
  spec: {
    group: string;
    names: { kind: string; shortNames?: string[] };
    versions: {
      name: string;
      additionalPrinterColumns?: { name: string; jsonPath: string; description?: string }[];
      schema: { openAPIV3Schema: Schema };
    }[];
  };
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
const code = (value: unknown) => `\`${typeof value === "string" ? value : JSON.stringify(value)}\``;

function typeOf(s: Schema): string {
  if (s["x-kubernetes-preserve-unknown-fields"] && !s.type) return "any";
  if (s.type === "array") return `${s.items ? typeOf(s.items) : "any"}[]`;
  if (s.type === "object" && s.additionalProperties && typeof s.additionalProperties === "object")
    return `map of ${typeOf(s.additionalProperties)}`;
  return s.type ?? "any";
}

function bounds(s: Schema): string {
  const out: string[] = [];
  if (s.enum) out.push(`one of ${s.enum.map(code).join(", ")}`);
  if (s.minimum !== undefined) out.push(`${s.exclusiveMinimum ? ">" : "≥"} ${s.minimum}`);
  if (s.maximum !== undefined) out.push(`≤ ${s.maximum}`);
  if (s.minLength !== undefined) out.push(`length ≥ ${s.minLength}`);
  if (s.maxLength !== undefined) out.push(`length ≤ ${s.maxLength}`);
  if (s.minItems !== undefined) out.push(`items ≥ ${s.minItems}`);
  if (s.maxItems !== undefined) out.push(`items ≤ ${s.maxItems}`);
  if (s.maxProperties !== undefined) out.push(`entries ≤ ${s.maxProperties}`);
  if (s.pattern !== undefined) out.push(`matches ${code(s.pattern)}`);
  if (s.format !== undefined) out.push(`format ${s.format}`);
  return out.join("; ");
}

function rows(path: string, s: Schema, required: boolean, out: string[], rules: string[]): void {
  for (const v of s["x-kubernetes-validations"] ?? [])
    rules.push(`| \`${path}\` | ${code(v.rule)} | ${cell(v.message ?? "")} |`);
  const def = s.default !== undefined ? code(s.default) : "";
  out.push(
    `| \`${path}\` | ${typeOf(s)}${required ? " (required)" : ""} | ${def} | ${cell(bounds(s))} | ${cell(s.description ?? "")} |`,
  );
  for (const [name, child] of Object.entries(s.properties ?? {}))
    rows(`${path}.${name}`, child, s.required?.includes(name) ?? false, out, rules);
  if (s.items?.properties) rows(`${path}[]`, s.items, false, out, rules);
  if (
    s.additionalProperties &&
    typeof s.additionalProperties === "object" &&
    s.additionalProperties.properties
  )
    rows(`${path}.<name>`, s.additionalProperties, false, out, rules);
}

/** The reference as Prettier writes it (the repository's markdown is formatted by Prettier). */
export async function crdReference(crdText: string): Promise<string> {
  const config = await resolveConfig(REFERENCE_FILE);
  return format(crdMarkdown(crdText), { ...config, parser: "markdown" });
}

function crdMarkdown(crdText: string): string {
  const crd = parse(crdText) as Crd;
  const { group, names } = crd.spec;
  const lines = [
    `# ${names.kind} reference`,
    "",
    "<!-- Generated from crds/imagechain.io_imagechains.yaml by `node test/helpers/crd-reference.ts`: do not edit. -->",
    "",
  ];
  for (const version of crd.spec.versions) {
    const root = version.schema.openAPIV3Schema;
    lines.push(
      `## \`${group}/${version.name}\``,
      "",
      `${root.description ?? ""} Short name${names.shortNames?.length === 1 ? "" : "s"}: ${(names.shortNames ?? []).map(code).join(", ")}.`,
      "",
      "`kubectl get` columns: " +
        (version.additionalPrinterColumns ?? []).map((c) => `${c.name} (${code(c.jsonPath)})`).join(", ") +
        ".",
      "",
    );
    for (const part of ["spec", "status"] as const) {
      const schema = root.properties?.[part];
      if (!schema) continue;
      const out: string[] = [];
      const rules: string[] = [];
      rows(part, schema, root.required?.includes(part) ?? false, out, rules);
      lines.push(
        `### ${part}`,
        "",
        "| Field | Type | Default | Bounds | Description |",
        "| --- | --- | --- | --- | --- |",
        ...out,
        "",
      );
      if (rules.length)
        lines.push(
          `Rules the API server checks (CEL) on ${part}:`,
          "",
          "| Field | Rule | Message |",
          "| --- | --- | --- |",
          ...rules,
          "",
        );
    }
  }
  return lines.join("\n");
}

if (import.meta.main) writeFileSync(REFERENCE_FILE, await crdReference(readFileSync(CRD_FILE, "utf8")));
