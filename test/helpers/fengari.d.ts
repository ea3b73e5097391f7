/** The part of fengari (a Lua 5.3 VM in JavaScript, no bundled types) that the Argo CD health tests use. */
declare module "fengari" {
  export type LuaState = { readonly __lua_state: unique symbol };
  export function to_luastring(s: string): Uint8Array;
  export function to_jsstring(s: Uint8Array): string;
  export const lua: {
    readonly LUA_OK: number;
    readonly LUA_TTABLE: number;
    readonly LUA_TSTRING: number;
    lua_newtable(L: LuaState): void;
    lua_pushstring(L: LuaState, s: Uint8Array): void;
    lua_pushinteger(L: LuaState, n: number): void;
    lua_pushnumber(L: LuaState, n: number): void;
    lua_pushboolean(L: LuaState, b: boolean): void;
    lua_pushnil(L: LuaState): void;
    lua_settable(L: LuaState, index: number): void;
    lua_rawseti(L: LuaState, index: number, i: number): void;
    lua_setglobal(L: LuaState, name: Uint8Array): void;
    lua_pcall(L: LuaState, nargs: number, nresults: number, handler: number): number;
    lua_getfield(L: LuaState, index: number, key: Uint8Array): number;
    lua_tojsstring(L: LuaState, index: number): string;
    lua_type(L: LuaState, index: number): number;
    lua_pop(L: LuaState, n: number): void;
  };
  export const lauxlib: {
    luaL_newstate(): LuaState;
    luaL_loadstring(L: LuaState, s: Uint8Array): number;
  };
  export const lualib: { luaL_openlibs(L: LuaState): void };
}
