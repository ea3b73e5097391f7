/**
 * Argo CD's custom health check for ImageChains (deploy/argocd/imagechain.io/ImageChain/health.lua), run
 * as Argo CD runs it: the object as the global `obj`, the script's returned table read as the health.
 * The interpreter is fengari (Lua 5.3); the script keeps to what Lua 5.1 (Argo CD's gopher-lua) has.
 */
import { lauxlib, lua, lualib, to_luastring, type LuaState } from "fengari";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

export const HEALTH_DIR = resolve(import.meta.dirname, "../../deploy/argocd/imagechain.io/ImageChain");
const SCRIPT = readFileSync(resolve(HEALTH_DIR, "health.lua"), "utf8");

export interface Health {
  readonly status: string;
  readonly message: string;
}

/** JSON to Lua as Argo CD converts it: objects and arrays become tables (arrays from 1), integers stay integers. */
function push(L: LuaState, value: unknown): void {
  if (value === null || value === undefined) lua.lua_pushnil(L);
  else if (typeof value === "string") lua.lua_pushstring(L, to_luastring(value));
  else if (typeof value === "boolean") lua.lua_pushboolean(L, value);
  else if (typeof value === "number")
    (Number.isInteger(value) ? lua.lua_pushinteger : lua.lua_pushnumber)(L, value);
  else if (Array.isArray(value)) {
    lua.lua_newtable(L);
    value.forEach((v, i) => {
      push(L, v);
      lua.lua_rawseti(L, -2, i + 1);
    });
  } else if (typeof value === "object") {
    lua.lua_newtable(L);
    for (const [k, v] of Object.entries(value)) {
      lua.lua_pushstring(L, to_luastring(k));
      push(L, v);
      lua.lua_settable(L, -3);
    }
  } else throw new TypeError(`cannot give Lua a ${typeof value}`);
}

export function argoHealth(obj: unknown): Health {
  const L = lauxlib.luaL_newstate();
  lualib.luaL_openlibs(L);
  push(L, obj);
  lua.lua_setglobal(L, to_luastring("obj"));
  if (
    lauxlib.luaL_loadstring(L, to_luastring(SCRIPT)) !== lua.LUA_OK ||
    lua.lua_pcall(L, 0, 1, 0) !== lua.LUA_OK
  )
    throw new Error(`health.lua: ${lua.lua_tojsstring(L, -1)}`);
  if (lua.lua_type(L, -1) !== lua.LUA_TTABLE) throw new Error("health.lua returned no table");
  const field = (name: string) => {
    const type = lua.lua_getfield(L, -1, to_luastring(name));
    const text = type === lua.LUA_TSTRING ? lua.lua_tojsstring(L, -1) : "";
    lua.lua_pop(L, 1);
    return text;
  };
  return { status: field("status"), message: field("message") };
}
