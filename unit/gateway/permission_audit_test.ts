import assert from "node:assert/strict";
import { FakeClock } from "../../fixtures/fake_clock.ts";
import { DbError } from "../../src/db/client/db_error.ts";
import { GatewayError } from "../../src/gateway/gateway_error.ts";
import {
  type PermissionAuditEntry,
  recordPermissionAudit,
} from "../../src/gateway/permission_audit.ts";
import { stubDb } from "../stub_db.ts";

const CAPABILITY = "0E1D6F1C-3F8A-4B5C-9D2E-7A6B5C4D3E2F";
const entry: PermissionAuditEntry = {
  capabilityId: CAPABILITY,
  fromSet: "readonly",
  toSet: "network-api",
  approved: false,
  reason: "posts data",
};

Deno.test("recordPermissionAudit() writes one row with the injected clock and id", async () => {
  const { db, calls } = stubDb();
  const record = await recordPermissionAudit(db, entry, {
    clock: new FakeClock(1_700_000_000_000),
    newId: () => "audit-1",
  });
  assert.deepEqual(record, {
    id: "audit-1",
    timestamp: 1_700_000_000_000,
    capabilityId: CAPABILITY.toLowerCase(),
    fromSet: "readonly",
    toSet: "network-api",
    approved: false,
    approvedBy: null,
    reason: "posts data",
    detectedOperation: null,
  });
  assert.equal(calls.length, 1);
  assert.deepEqual(calls[0]?.params, [
    "audit-1",
    1_700_000_000_000,
    CAPABILITY.toLowerCase(),
    "readonly",
    "network-api",
    0,
    null,
    "posts data",
    null,
  ]);
});

Deno.test("recordPermissionAudit() refuses a capability id that is not a UUID before the database", async () => {
  const { db, calls } = stubDb();
  await assert.rejects(recordPermissionAudit(db, { ...entry, capabilityId: "42" }), {
    name: "TypeError",
    message:
      'Cannot record the permission audit: expected the capability id to be a UUID, found "42"',
  });
  assert.deepEqual(calls, []);
});

Deno.test("recordPermissionAudit() refuses an unknown permission set before the database", async () => {
  const { db, calls } = stubDb();
  await assert.rejects(recordPermissionAudit(db, { ...entry, fromSet: "admin" as "trusted" }), {
    name: "RangeError",
    message:
      "Cannot record the permission audit as 'fromSet' must be one of minimal, readonly, filesystem, network-api, mcp-standard, trusted: current value is \"admin\"",
  });
  assert.deepEqual(calls, []);
});

Deno.test("recordPermissionAudit() names the foreign key when the capability does not exist", async () => {
  const violation = new DbError(
    "DB_QUERY_FAILED",
    "Cannot run query: insert violates foreign key",
    {
      sqlState: "23503",
      constraint: "fk_permission_audit_capability",
    },
  );
  const { db } = stubDb(() => {
    throw violation;
  });
  await assert.rejects(recordPermissionAudit(db, entry), (error: unknown) => {
    assert.ok(error instanceof GatewayError);
    assert.equal(error.code, "UNKNOWN_CAPABILITY");
    assert.match(error.message, /foreign key fk_permission_audit_capability/);
    assert.equal(error.cause, violation);
    return true;
  });
});

Deno.test("recordPermissionAudit() lets other database errors through unchanged", async () => {
  const other = new DbError("DB_QUERY_FAILED", "Cannot run query: disk full", {
    sqlState: "53100",
  });
  const { db } = stubDb(() => {
    throw other;
  });
  await assert.rejects(recordPermissionAudit(db, entry), (error: unknown) => error === other);
});
