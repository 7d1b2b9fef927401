/**
 * The one domain error of the cache. It carries a stable `code` to branch on and the details of the
 * failure as fields; bad arguments throw the built-in `TypeError` / `RangeError` instead.
 *
 * @module
 */

import type { KvKey } from "./kv_client.ts";

/** The stable codes of {@linkcode CacheError}. */
export type CacheErrorCode =
  /** The KV store could not be opened (`path`, `cause`). */
  | "KV_OPEN_FAILED"
  /** KV stayed locked by another process for longer than the retry budget (`cause`). */
  | "KV_BUSY"
  /** A stored entry does not have the shape this code writes (`key`). */
  | "CACHE_ENTRY_CORRUPT"
  /** An update found no live state (`workflowId`). */
  | "WORKFLOW_STATE_NOT_FOUND"
  /** Concurrent writers won every attempt (`attempts`), or the state is not at `versions.expected`. */
  | "WORKFLOW_STATE_CONFLICT"
  /** The state does not fit the KV layout; nothing was written (`size`). */
  | "WORKFLOW_STATE_TOO_LARGE";

/** The details a {@linkcode CacheError} may carry, depending on its code. */
export interface CacheErrorDetails extends ErrorOptions {
  /** The workflow concerned. */
  workflowId?: string;
  /** The KV key of the offending entry (`CACHE_ENTRY_CORRUPT`). */
  key?: KvKey;
  /** The KV path that failed to open (`KV_OPEN_FAILED`). */
  path?: string;
  /** How many attempts were made (`WORKFLOW_STATE_CONFLICT`, `KV_BUSY`). */
  attempts?: number;
  /** For a conditional update: the version it was based on, and the one found instead. */
  versions?: { readonly expected: string; readonly found: string };
  /** Measured and allowed sizes (`WORKFLOW_STATE_TOO_LARGE`). */
  size?: { readonly requiredBytes: number; readonly limitBytes: number };
}

/**
 * A failure of the cache, with a stable `code` and its details as fields.
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
  /** The workflow concerned, if any. */
  readonly workflowId?: string;
  /** The key of the offending entry, for `CACHE_ENTRY_CORRUPT`. */
  readonly key?: KvKey;
  /** The path that failed to open, for `KV_OPEN_FAILED`. */
  readonly path?: string;
  /** How many attempts were made, for `WORKFLOW_STATE_CONFLICT` and `KV_BUSY`. */
  readonly attempts?: number;
  /** The expected and the found version of a conditional update. */
  readonly versions?: { readonly expected: string; readonly found: string };
  /** The measured and the allowed size, for `WORKFLOW_STATE_TOO_LARGE`. */
  readonly size?: { readonly requiredBytes: number; readonly limitBytes: number };

  /**
   * @param code The stable code.
   * @param message The message, "Cannot <action>: <what was wrong>; <what to do>" (the one exception
   * is the historical `Workflow <id> not found`).
   * @param details The fields to attach, and the standard `cause`.
   */
  constructor(code: CacheErrorCode, message: string, details: CacheErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "CacheError";
    this.code = code;
    const { workflowId, key, path, attempts, versions, size } = details;
    if (workflowId !== undefined) this.workflowId = workflowId;
    if (key !== undefined) this.key = key;
    if (path !== undefined) this.path = path;
    if (attempts !== undefined) this.attempts = attempts;
    if (versions !== undefined) this.versions = { ...versions };
    if (size !== undefined) this.size = { ...size };
  }
}
