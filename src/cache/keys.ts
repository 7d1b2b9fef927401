/**
 * The one place where cache keys are built. Keys are arrays whose first part is a namespace; workflow ids
 * are validated here, so no other module can put a malformed id into KV.
 *
 * @module
 */

import type { KvKey } from "./kv_client.ts";

/**
 * Namespace of workflow state headers: `["workflow", id]`.
 *
 * @example First key part
 * ```ts
 * import { WORKFLOW_NAMESPACE, workflowKey } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * assert.equal(workflowKey("wf-1")[0], WORKFLOW_NAMESPACE);
 * ```
 */
export const WORKFLOW_NAMESPACE = "workflow";

/**
 * Namespace of the chunks of large workflow states: `["workflow_chunk", id, index]`.
 *
 * @example First key part
 * ```ts
 * import { WORKFLOW_CHUNK_NAMESPACE, workflowChunkKey } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * assert.equal(workflowChunkKey("wf-1", 0)[0], WORKFLOW_CHUNK_NAMESPACE);
 * ```
 */
export const WORKFLOW_CHUNK_NAMESPACE = "workflow_chunk";

/**
 * The longest accepted workflow id, in UTF-8 bytes (KV keys are limited to 2 KiB).
 *
 * @example At the limit
 * ```ts
 * import { assertWorkflowId, MAX_WORKFLOW_ID_BYTES } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * assertWorkflowId("x".repeat(MAX_WORKFLOW_ID_BYTES));
 * assert.throws(() => assertWorkflowId("x".repeat(MAX_WORKFLOW_ID_BYTES + 1)), RangeError);
 * ```
 */
export const MAX_WORKFLOW_ID_BYTES = 256;

/**
 * The prefix under which every workflow state header lives.
 *
 * @example Listing prefix
 * ```ts
 * import { WORKFLOW_PREFIX } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(WORKFLOW_PREFIX, ["workflow"]);
 * ```
 */
export const WORKFLOW_PREFIX: readonly [typeof WORKFLOW_NAMESPACE] = Object.freeze([
  WORKFLOW_NAMESPACE,
]);

const utf8 = new TextEncoder();

/**
 * Checks that `id` can name a workflow: a non-empty, well-formed Unicode string of at most
 * {@linkcode MAX_WORKFLOW_ID_BYTES} UTF-8 bytes.
 *
 * @throws {TypeError} When `id` is not a string.
 * @throws {RangeError} When `id` is empty, too long, or holds a lone surrogate.
 *
 * @example Rejecting an empty id
 * ```ts
 * import { assertWorkflowId } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * assertWorkflowId("wf-1");
 * assert.throws(() => assertWorkflowId(""), RangeError);
 * ```
 */
export function assertWorkflowId(id: unknown): asserts id is string {
  if (typeof id !== "string") {
    throw new TypeError(
      `Cannot build workflow key: expected the workflow id to be a string, found ${typeof id}`,
    );
  }
  if (id.length === 0) {
    throw new RangeError(
      `Cannot build workflow key: expected a non-empty workflow id, found ""`,
    );
  }
  if (!id.isWellFormed()) {
    throw new RangeError(
      `Cannot build workflow key: expected the workflow id to be well-formed Unicode, found a lone surrogate`,
    );
  }
  const bytes = utf8.encode(id).length;
  if (bytes > MAX_WORKFLOW_ID_BYTES) {
    throw new RangeError(
      `Cannot build workflow key: expected a workflow id of at most ${MAX_WORKFLOW_ID_BYTES} bytes in UTF-8, found ${bytes} bytes`,
    );
  }
}

/**
 * The key of a workflow's state header, `["workflow", id]`.
 *
 * @throws {TypeError | RangeError} When `id` is not a valid workflow id (see {@linkcode assertWorkflowId}).
 *
 * @example Building a key
 * ```ts
 * import { workflowKey } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(workflowKey("wf-1"), ["workflow", "wf-1"]);
 * ```
 */
export function workflowKey(id: string): readonly [typeof WORKFLOW_NAMESPACE, string] {
  assertWorkflowId(id);
  return [WORKFLOW_NAMESPACE, id];
}

/**
 * The key of chunk `index` of a large workflow state, `["workflow_chunk", id, index]`.
 *
 * @throws {TypeError | RangeError} When `id` is not a valid workflow id.
 * @throws {RangeError} When `index` is not a non-negative integer.
 *
 * @example Building a chunk key
 * ```ts
 * import { workflowChunkKey } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(workflowChunkKey("wf-1", 2), ["workflow_chunk", "wf-1", 2]);
 * ```
 */
export function workflowChunkKey(
  id: string,
  index: number,
): readonly [typeof WORKFLOW_CHUNK_NAMESPACE, string, number] {
  assertWorkflowId(id);
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new RangeError(
      `Cannot build workflow chunk key: expected a non-negative integer index, found ${index}`,
    );
  }
  return [WORKFLOW_CHUNK_NAMESPACE, id, index];
}

/**
 * The size in bytes of `key` in KV's tuple encoding, which counts against KV's write limits.
 *
 * Strings take a type byte, their UTF-8 bytes (a zero byte is escaped into two) and a terminator;
 * numbers take a type byte and 8 bytes.
 *
 * @throws {TypeError} For part types the cache never puts in keys.
 *
 * @example Size of a workflow key
 * ```ts
 * import { encodedKeySize } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * assert.equal(encodedKeySize(["workflow", "a"]), 10 + 3);
 * ```
 */
export function encodedKeySize(key: KvKey): number {
  let size = 0;
  for (const part of key) {
    if (typeof part === "string") {
      const bytes = utf8.encode(part);
      size += 2 + bytes.length + bytes.filter((byte) => byte === 0).length;
    } else if (typeof part === "number") {
      size += 9;
    } else {
      throw new TypeError(
        `Cannot measure key: expected string or number parts, found ${typeof part}`,
      );
    }
  }
  return size;
}
