/**
 * {@linkcode CacheError}, the one domain error of the cache and the shared KV.
 *
 * @module
 */

import type { KvKey } from "./kv_client.ts";

/**
 * The stable codes of {@linkcode CacheError}, each with the fields it carries: `KV_OPEN_FAILED`
 * (`path`, `cause`), `KV_BUSY` (locked past the retry budget: `attempts`, `cause`),
 * `CACHE_ENTRY_CORRUPT` (`key`), `WORKFLOW_STATE_NOT_FOUND` (`workflowId`), `WORKFLOW_STATE_CONFLICT`
 * (`attempts`, and `versions` for `expectedVersion`), `WORKFLOW_STATE_TOO_LARGE` (`size`).
 */
export type CacheErrorCode =
  | "KV_OPEN_FAILED"
  | "KV_BUSY"
  | "CACHE_ENTRY_CORRUPT"
  | "WORKFLOW_STATE_NOT_FOUND"
  | "WORKFLOW_STATE_CONFLICT"
  | "WORKFLOW_STATE_TOO_LARGE";

/** The details a {@linkcode CacheError} carries as fields, and the standard `cause`. */
export interface CacheErrorDetails extends ErrorOptions {
  workflowId?: string;
  key?: KvKey;
  path?: string;
  attempts?: number;
  /** For a conditional update: the version it was based on, and the one found instead. */
  versions?: { readonly expected: string; readonly found: string };
  size?: { readonly requiredBytes: number; readonly limitBytes: number };
}

/**
 * A failure of the cache, with a stable `code` and its details as fields (own properties only when
 * given). The message reads "Cannot <action>: <what was wrong>; <what to do>", except the historical
 * `Workflow <id> not found`. Bad arguments throw `TypeError` / `RangeError` instead.
 *
 * @example Branching on the code
 * ```ts
 * import { CacheError, updateWorkflowState } from "@pml/store";
 * import { createKvFixture } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await using _fixture = await createKvFixture();
 * await assert.rejects(updateWorkflowState("ghost", { tasks: [] }), (error: unknown) => {
 *   assert.ok(error instanceof CacheError && error.code === "WORKFLOW_STATE_NOT_FOUND");
 *   assert.equal(error.message, "Workflow ghost not found");
 *   return true;
 * });
 * ```
 */
export class CacheError extends Error {
  readonly code: CacheErrorCode;
  declare readonly workflowId?: string;
  declare readonly key?: KvKey;
  declare readonly path?: string;
  declare readonly attempts?: number;
  declare readonly versions?: CacheErrorDetails["versions"];
  declare readonly size?: CacheErrorDetails["size"];

  constructor(code: CacheErrorCode, message: string, details: CacheErrorDetails = {}) {
    const { cause, ...fields } = details;
    super(message, cause === undefined ? undefined : { cause });
    this.name = "CacheError";
    this.code = code;
    for (const [name, value] of Object.entries(fields)) {
      if (value !== undefined) Object.defineProperty(this, name, { value, enumerable: true });
    }
  }
}
