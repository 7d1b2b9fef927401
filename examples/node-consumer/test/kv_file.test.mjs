// The shared KV under Node is @deno/kv; a file store keeps workflow state across connections, and a file
// that is not a KV database is refused with KV_OPEN_FAILED before @deno/kv opens it.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { closeKv, getKv, getWorkflowState, saveWorkflowState } from "pml-store";

const dir = mkdtempSync(join(tmpdir(), "pml-node-kv-"));
after(async () => {
  await closeKv();
  rmSync(dir, { recursive: true, force: true });
});

test("a file store at PML_KV_PATH keeps a workflow state across connections", async () => {
  process.env.PML_KV_PATH = join(dir, "kv.db");
  const first = await getKv();
  await saveWorkflowState("wf-file", { tasks: [] }, "kept on disk");
  await closeKv();
  const second = await getKv();
  assert.notEqual(second, first, "a new connection");
  assert.deepEqual(await getWorkflowState("wf-file"), { tasks: [] });
  await closeKv();
});

test("a file that is not a KV database is refused with KV_OPEN_FAILED", async () => {
  const garbled = join(dir, "garbled.db");
  writeFileSync(garbled, "this is not SQLite");
  process.env.PML_KV_PATH = garbled;
  await assert.rejects(getKv(), { name: "CacheError", code: "KV_OPEN_FAILED" });
});
