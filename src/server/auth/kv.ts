/**
 * The KV handle of the auth code: the very same shared singleton as `src/cache/kv.ts`, re-exported
 * from its historical location so auth and cache never open two connections to one store.
 *
 * @module
 */

export { closeKv, getKv, installKv } from "../../cache/kv.ts";
