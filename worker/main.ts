#!/usr/bin/env node
/**
 * The worker entry point (see run/entry.ts). Node's compile cache is switched on before anything else is
 * loaded: worker processes start often, and the cache halves the time to load the worker's modules.
 */
import { enableCompileCache } from "node:module";

enableCompileCache();
await import("./run/entry.ts");
