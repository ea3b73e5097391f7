/** `npm run gen:crds`: writes the ImageChain CRD generated from the spec schema. */
import { writeFile } from "node:fs/promises";
import { CRD_FILE, crdYaml } from "./crd.ts";

await writeFile(CRD_FILE, crdYaml());
console.log(`wrote ${CRD_FILE}`);
