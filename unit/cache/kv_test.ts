import assert from "node:assert/strict";
import {
  closeKv,
  DEFAULT_KV_PATH,
  getKv,
  installKv,
  openKvClient,
  resolveKvPath,
} from "../../src/cache/kv.ts";
import * as authKv from "../../src/server/auth/kv.ts";
import { KvOpenError } from "../../src/cache/cache_error.ts";

/** Runs `fn` with `PML_KV_PATH` set to `path`, then restores the variable and closes the shared KV. */
async function withKvPath(path: string, fn: () => Promise<void>): Promise<void> {
  const previous = Deno.env.get("PML_KV_PATH");
  Deno.env.set("PML_KV_PATH", path);
  try {
    await fn();
  } finally {
    await closeKv();
    if (previous === undefined) Deno.env.delete("PML_KV_PATH");
    else Deno.env.set("PML_KV_PATH", previous);
  }
}

Deno.test("resolveKvPath() reads PML_KV_PATH, defaulting to a file under .pml/", () => {
  assert.equal(resolveKvPath({ PML_KV_PATH: "/data/kv.db" }), "/data/kv.db");
  assert.equal(resolveKvPath({ PML_KV_PATH: ":memory:" }), ":memory:");
  assert.equal(resolveKvPath({ PML_KV_PATH: "" }), DEFAULT_KV_PATH);
  assert.equal(resolveKvPath({}), DEFAULT_KV_PATH);
  assert.equal(DEFAULT_KV_PATH, ".pml/kv.db");
});

Deno.test("getKv() returns the installed KV and restore() brings back the previous one", async () => {
  const outer = await Deno.openKv(":memory:");
  const inner = await Deno.openKv(":memory:");
  try {
    const outerOverride = installKv(outer);
    const innerOverride = installKv(inner);
    assert.equal(await getKv(), inner);
    innerOverride.restore();
    assert.equal(await getKv(), outer);
    outerOverride.restore();
  } finally {
    outer.close();
    inner.close();
  }
});

Deno.test("src/server/auth/kv.ts returns the same instance as src/cache/kv.ts", async (t) => {
  await t.step("with an installed KV", async () => {
    const kv = await Deno.openKv(":memory:");
    try {
      using _override = authKv.installKv(kv);
      const [fromCache, fromAuth] = await Promise.all([getKv(), authKv.getKv()]);
      assert.equal(fromCache, kv);
      assert.equal(fromAuth, fromCache);
    } finally {
      kv.close();
    }
  });

  await t.step("with the lazily opened KV", async () => {
    await withKvPath(":memory:", async () => {
      const fromAuth = await authKv.getKv();
      const fromCache = await getKv();
      assert.equal(fromAuth, fromCache);
    });
  });

  await t.step("the re-exports are the very same functions", () => {
    assert.equal(authKv.getKv, getKv);
    assert.equal(authKv.closeKv, closeKv);
    assert.equal(authKv.installKv, installKv);
  });
});

Deno.test("getKv() opens one connection for concurrent first calls", async () => {
  await withKvPath(":memory:", async () => {
    const [first, second] = await Promise.all([getKv(), getKv()]);
    assert.equal(first, second);
    await first.set(["probe"], 1);
    assert.equal((await (await getKv()).get(["probe"])).value, 1);
  });
});

Deno.test("closeKv() closes the shared KV; the next getKv() opens a new one", async () => {
  await withKvPath(":memory:", async () => {
    const first = await getKv();
    await first.set(["probe"], 1);
    await closeKv();
    await assert.rejects(first.get(["probe"]));
    const second = await getKv();
    assert.notEqual(second, first);
    assert.equal((await second.get(["probe"])).versionstamp, null);
    await closeKv();
    await closeKv();
  });
});

Deno.test("closeKv() leaves an installed KV open", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    using _override = installKv(kv);
    await closeKv();
    await kv.set(["still"], "open");
    assert.equal((await (await getKv()).get(["still"])).value, "open");
  } finally {
    kv.close();
  }
});

Deno.test("getKv() creates the parent directory of a file path", async () => {
  const root = await Deno.makeTempDir();
  try {
    const path = `${root}/nested/deeper/kv.db`;
    await withKvPath(path, async () => {
      const kv = await getKv();
      await kv.set(["persisted"], true);
      const stat = await Deno.stat(path);
      assert.equal(stat.isFile, true);
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("getKv() fails with KvOpenError naming the path, and retries on the next call", async () => {
  const root = await Deno.makeTempDir();
  try {
    const blocker = `${root}/not-a-directory`;
    await Deno.writeTextFile(blocker, "");
    const path = `${blocker}/kv.db`;
    await withKvPath(path, async () => {
      const error = await getKv().then(() => null, (caught: unknown) => caught);
      assert.ok(error instanceof KvOpenError, `expected KvOpenError, got ${error}`);
      assert.equal(error.code, "KV_OPEN_FAILED");
      assert.equal(error.path, path);
      assert.ok(error.message.startsWith(`Cannot open Deno KV at ${JSON.stringify(path)}: `));
      assert.ok(error.cause instanceof Error);
      Deno.env.set("PML_KV_PATH", ":memory:");
      const kv = await getKv();
      await kv.set(["recovered"], true);
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("openKvClient() uses @deno/kv when the runtime has no Deno.openKv", async () => {
  const kv = await openKvClient(":memory:", { runtime: {} });
  try {
    await kv.set(["npm"], { ok: true });
    assert.deepEqual((await kv.get(["npm"])).value, { ok: true });
    const result = await kv.atomic().check({ key: ["npm"], versionstamp: null }).commit();
    assert.deepEqual(result, { ok: false });
  } finally {
    kv.close();
  }
});

Deno.test("openKvClient() without Deno creates the parent directory through node:fs", async () => {
  const root = await Deno.makeTempDir();
  try {
    const path = `${root}/a/b/kv.db`;
    const kv = await openKvClient(path, { runtime: {} });
    await kv.set(["file"], 1);
    kv.close();
    assert.equal((await Deno.stat(`${root}/a/b`)).isDirectory, true);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("openKvClient() uses the runtime's Deno.openKv when present", async () => {
  const opened: (string | undefined)[] = [];
  const kv = await openKvClient(":memory:", {
    runtime: {
      Deno: {
        openKv: (path?: string) => {
          opened.push(path);
          return Deno.openKv(path);
        },
      },
    },
  });
  kv.close();
  assert.deepEqual(opened, [":memory:"]);
});
