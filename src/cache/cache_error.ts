/**
 * The one domain error of the cache: a stable `code` to branch on and the details as fields. Bad
 * arguments throw the built-in `TypeError` / `RangeError` instead.
 *
 * @module
 */

import type { KvKey } from "./kv_client.ts";

/** The stable codes of {@linkcode CacheError}, with the fields each one carries. */
export type CacheErrorCode =
  /** The KV store could not be opened (`path`, `cause`). */
  | "KV_OPEN_FAILED"
  /** KV stayed locked by another process for longer than the retry budget (`attempts`, `cause`). */
  | "KV_BUSY"
  /** A stored entry does not have the shape this code writes (`key`). */
  | "CACHE_ENTRY_CORRUPT"
  /** An update found no live state (`workflowId`). */
  | "WORKFLOW_STATE_NOT_FOUND"
  /** Concurrent writers won every attempt (`attempts`), or the state is not at `versions.expected`. */
  | "WORKFLOW_STATE_CONFLICT"
  /** The state does not fit the KV layout; nothing was written (`size`). */
  | "WORKFLOW_STATE_TOO_LARGE";

/** The details a {@linkcode CacheError} carries as fields, and the standard `cause`. */
export interface CacheErrorDetails extends ErrorOptions {
  /** The workflow concerned. */
  workflowId?: string;
  /** The KV key of the offending entry. */
  key?: KvKey;
  /** The KV path that failed to open. */
  path?: string;
  /** How many attempts were made. */
  attempts?: number;
  /** For a conditional update: the version it was based on, and the one found instead. */
  versions?: { readonly expected: string; readonly found: string };
  /** The measured and the allowed size. */
  size?: { readonly requiredBytes: number; readonly limitBytes: number };
}

/**
 * A failure of the cache. The message reads "Cannot <action>: <what was wrong>; <what to do>", except
 * the historical `Workflow <id> not found` of `WORKFLOW_STATE_NOT_FOUND`.
 *
 * @example Branching on the code
 * ```ts
 * import { CacheError, updateWorkflowState } from "@pml/store";
 * import { createKvFixture } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await using _fixture = await createKvFixture();
 * await assert.rejects(updateWorkflowState("ghost", { tasks: [] }), (error: unknown) => {
 *   assert.ok(error instanceof CacheError);
 *   assert.equal(error.code, "WORKFLOW_STATE_NOT_FOUND");
 *   assert.equal(error.workflowId, "ghost");
 *   assert.equal(error.message, "Workflow ghost not found");
 *   return true;
 * });
 * ```
 */
export class CacheError extends Error {
  /** A stable identifier of the failure, safe to compare. */
  readonly code: CacheErrorCode;
  // The details (see CacheErrorDetails), own properties only when given.
  declare readonly workflowId?: string;
  declare readonly key?: KvKey;
  declare readonly path?: string;
  declare readonly attempts?: number;
  declare readonly versions?: { readonly expected: string; readonly found: string };
  declare readonly size?: { readonly requiredBytes: number; readonly limitBytes: number };

  /**
   * @param code The stable code.
   * @param message What failed and what to do.
   * @param details The fields to attach (only those given become own properties), and `cause`.
   */
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
