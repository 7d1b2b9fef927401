/**
 * The domain error of the gateway: a call or a record the gateway refused or could not complete. Each
 * carries a stable {@linkcode GatewayError.code}; the underlying fault is chained as `cause`.
 *
 * @module
 */

/** Stable codes of {@linkcode GatewayError}. */
export type GatewayErrorCode =
  /** The tool id names a server without a client, or a tool absent from `tool_schema`. */
  | "UNKNOWN_TOOL"
  /** The server reported an error for the call, or the call itself failed. */
  | "TOOL_CALL_FAILED"
  /** An audit row names a capability that is not in `workflow_pattern`. */
  | "UNKNOWN_CAPABILITY"
  /** The tool call succeeded, but recording what it taught (observed edges) failed. */
  | "RECORDING_FAILED";

/**
 * A gateway operation failed; see {@linkcode GatewayErrorCode}.
 *
 * @example Branching on the code
 * ```ts
 * import { GatewayError } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const error = new GatewayError("UNKNOWN_TOOL", 'Cannot call "x:y": no server "x" is connected');
 * assert.equal(error.code, "UNKNOWN_TOOL");
 * assert.ok(error instanceof Error);
 * ```
 */
export class GatewayError extends Error {
  /** A stable identifier of the kind of failure. */
  readonly code: GatewayErrorCode;
  /** The tool concerned, when there is one. */
  readonly toolId?: string;

  /** Creates the error; `details` names the tool and chains the cause. */
  constructor(
    code: GatewayErrorCode,
    message: string,
    details: { toolId?: string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "GatewayError";
    this.code = code;
    if (details.toolId !== undefined) this.toolId = details.toolId;
  }
}
