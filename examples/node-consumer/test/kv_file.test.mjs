// The shared KV under Node is @deno/kv; a file store keeps workflow state across connections, and a file
// that is not a KV database, or a damaged one, is refused with KV_OPEN_FAILED before @deno/kv opens it
// (whose native binary aborts the process at the first read of a damaged file).
import assert from "node:assert/strict";
import {
  closeSync,
  copyFileSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
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

test("a damaged KV file is refused with KV_OPEN_FAILED naming it", async () => {
  process.env.PML_KV_PATH = join(dir, "whole.db");
  const kv = await getKv();
  for (let i = 0; i < 100; i++) await kv.set(["filler", i], "x".repeat(1000));
  await closeKv();
  // A copy: the original passed the check in this process, which checks each path once.
  const damaged = join(dir, "damaged.db");
  copyFileSync(join(dir, "whole.db"), damaged);
  const fd = openSync(damaged, "r+");
  writeSync(fd, Buffer.alloc(20_000, 0x5a), 0, 20_000, 20_000);
  closeSync(fd);
  process.env.PML_KV_PATH = damaged;
  await assert.rejects(getKv(), (error) => {
    assert.equal(error.name, "CacheError");
    assert.equal(error.code, "KV_OPEN_FAILED");
    assert.equal(error.path, damaged);
    assert.match(
      error.message,
      /: the file is damaged \(.+\); restore it from a backup, or move it aside/,
    );
    return true;
  });
});
