/**
 * Domain errors of the cache. Each carries a stable `code` to branch on; messages follow
 * "Cannot <action>: <reason>". Bad arguments throw the built-in `TypeError` / `RangeError` instead.
 *
 * @module
 */

import type { KvKey } from "./kv_client.ts";

/** The stable codes of {@linkcode CacheError}. */
export type CacheErrorCode =
  | "KV_OPEN_FAILED"
  | "CACHE_ENTRY_CORRUPT"
  | "WORKFLOW_STATE_NOT_FOUND"
  | "WORKFLOW_STATE_CONFLICT"
  | "WORKFLOW_STATE_TOO_LARGE";

/**
 * Base class of the cache's domain errors.
 *
 * @example Branching on the code
 * ```ts
 * import { CacheError, WorkflowStateNotFoundError } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const error: unknown = new WorkflowStateNotFoundError("update workflow state", "wf-1");
 * assert.ok(error instanceof CacheError);
 * assert.equal(error.code, "WORKFLOW_STATE_NOT_FOUND");
 * ```
 */
export class CacheError extends Error {
  /** A stable identifier of the failure, safe to compare. */
  readonly code: CacheErrorCode;

  /**
   * @param code The stable code.
   * @param message The human-readable message.
   * @param options The standard `cause` option.
   */
  constructor(code: CacheErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * The KV store could not be opened; `cause` holds the underlying error.
 *
 * @example The path is attached
 * ```ts
 * import { KvOpenError } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const error = new KvOpenError("/nope/kv.db", new Error("permission denied"));
 * assert.equal(error.message, 'Cannot open Deno KV at "/nope/kv.db": permission denied');
 * assert.equal(error.path, "/nope/kv.db");
 * ```
 */
export class KvOpenError extends CacheError {
  /** The path that failed to open. */
  readonly path: string;

  /**
   * @param path The path passed to the opener.
   * @param cause The error thrown by the opener.
   */
  constructor(path: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super("KV_OPEN_FAILED", `Cannot open Deno KV at ${JSON.stringify(path)}: ${reason}`, { cause });
    this.path = path;
  }
}

/**
 * A stored entry does not have the shape the cache wrote, or the parts of a large state disagree.
 *
 * @example The key is attached
 * ```ts
 * import { CacheEntryCorruptError } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const error = new CacheEntryCorruptError("read cache entry", ["workflow", "wf-1"], "is not a TTL envelope");
 * assert.equal(error.message, 'Cannot read cache entry: ["workflow","wf-1"] is not a TTL envelope');
 * ```
 */
export class CacheEntryCorruptError extends CacheError {
  /** The key of the offending entry. */
  readonly key: KvKey;

  /**
   * @param action What was being done, e.g. `"read workflow state"`.
   * @param key The offending key.
   * @param reason What is wrong with it.
   */
  constructor(action: string, key: KvKey, reason: string) {
    super("CACHE_ENTRY_CORRUPT", `Cannot ${action}: ${formatKey(key)} ${reason}`);
    this.key = key;
  }
}

/**
 * An operation that needs an existing workflow state found none (never saved, deleted or expired).
 *
 * @example The id is named
 * ```ts
 * import { WorkflowStateNotFoundError } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const error = new WorkflowStateNotFoundError("update workflow state", "wf-1");
 * assert.equal(
 *   error.message,
 *   'Cannot update workflow state "wf-1": no live state has this id (never saved, deleted or expired)',
 * );
 * ```
 */
export class WorkflowStateNotFoundError extends CacheError {
  /** The workflow id. */
  readonly workflowId: string;

  /**
   * @param action What was being done.
   * @param workflowId The missing workflow.
   */
  constructor(action: string, workflowId: string) {
    super(
      "WORKFLOW_STATE_NOT_FOUND",
      `Cannot ${action} ${
        JSON.stringify(workflowId)
      }: no live state has this id (never saved, deleted or expired)`,
    );
    this.workflowId = workflowId;
  }
}

/** The versions named by a {@linkcode WorkflowStateConflictError} of a conditional update. */
export interface WorkflowStateVersions {
  /** The version the update was based on (its `expectedVersion`). */
  expected: string;
  /** The version the state had instead. */
  found: string;
}

/**
 * A write lost the versionstamp check on every attempt (other writers kept changing the same workflow),
 * or a conditional update found another version than the one it was based on. Nothing was written by
 * the failed call.
 *
 * @example The attempts are counted
 * ```ts
 * import { WorkflowStateConflictError } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const error = new WorkflowStateConflictError("update workflow state", "wf-1", 3);
 * assert.equal(error.attempts, 3);
 * assert.equal(error.code, "WORKFLOW_STATE_CONFLICT");
 * ```
 *
 * @example A stale expected version
 * ```ts
 * import { WorkflowStateConflictError } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const error = new WorkflowStateConflictError("update workflow state", "wf-1", 1, {
 *   expected: "01",
 *   found: "02",
 * });
 * assert.deepEqual(error.versions, { expected: "01", found: "02" });
 * assert.equal(
 *   error.message,
 *   'Cannot update workflow state "wf-1": expected version "01", found version "02" (the state changed since it was read); nothing was written by this call',
 * );
 * ```
 */
export class WorkflowStateConflictError extends CacheError {
  /** The workflow id. */
  readonly workflowId: string;
  /** How many attempts were made. */
  readonly attempts: number;
  /** For a conditional update, the version it expected and the one it found; else `undefined`. */
  readonly versions?: WorkflowStateVersions;

  /**
   * @param action What was being done.
   * @param workflowId The contended workflow.
   * @param attempts How many attempts were made.
   * @param versions For a conditional update, the expected and the found version.
   */
  constructor(
    action: string,
    workflowId: string,
    attempts: number,
    versions?: WorkflowStateVersions,
  ) {
    const reason = versions === undefined
      ? `the state changed concurrently on each of ${attempts} attempt(s) (versionstamp check failed)`
      : `expected version ${JSON.stringify(versions.expected)}, found version ${
        JSON.stringify(versions.found)
      } (the state changed since it was read)`;
    super(
      "WORKFLOW_STATE_CONFLICT",
      `Cannot ${action} ${JSON.stringify(workflowId)}: ${reason}; nothing was written by this call`,
    );
    this.workflowId = workflowId;
    this.attempts = attempts;
    if (versions !== undefined) this.versions = { ...versions };
  }
}

/** Sizes reported by {@linkcode WorkflowStateTooLargeError}. */
export interface WorkflowStateSize {
  /** Bytes the atomic write would need, as KV counts them (upper bound). */
  requiredBytes: number;
  /** The most one atomic write may carry. */
  limitBytes: number;
  /** Bytes of the DAG's JSON text in UTF-8. */
  dagBytes: number;
}

/**
 * A workflow state too large for one atomic KV write was refused before anything was written.
 *
 * @example Sizes are attached
 * ```ts
 * import { WorkflowStateTooLargeError } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const error = new WorkflowStateTooLargeError("save workflow state", "wf-1", {
 *   requiredBytes: 900_000,
 *   limitBytes: 819_200,
 *   dagBytes: 880_000,
 * });
 * assert.equal(error.size.limitBytes, 819_200);
 * assert.match(error.message, /^Cannot save workflow state "wf-1": /);
 * ```
 */
export class WorkflowStateTooLargeError extends CacheError {
  /** The workflow id. */
  readonly workflowId: string;
  /** The measured and allowed sizes. */
  readonly size: WorkflowStateSize;

  /**
   * @param action What was being done.
   * @param workflowId The workflow being written.
   * @param size The measured and allowed sizes.
   */
  constructor(action: string, workflowId: string, size: WorkflowStateSize) {
    super(
      "WORKFLOW_STATE_TOO_LARGE",
      `Cannot ${action} ${
        JSON.stringify(workflowId)
      }: the write needs ${size.requiredBytes} bytes in one atomic KV operation, expected at most ${size.limitBytes} (the DAG is ${size.dagBytes} bytes of JSON); nothing was written`,
    );
    this.workflowId = workflowId;
    this.size = size;
  }
}

function formatKey(key: KvKey): string {
  return JSON.stringify(
    key.map((part) => typeof part === "string" || typeof part === "number" ? part : String(part)),
  );
}
