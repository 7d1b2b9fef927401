import assert from "node:assert/strict";
import { LazyConnection } from "../../src/cache/_lazy_connection.ts";

/** A stand-in connection that records whether it was closed. */
class FakeConnection {
  closed = false;
  constructor(readonly id: number) {}
  close(): void {
    this.closed = true;
  }
}

/** An opener whose opens finish only when the test resolves (or rejects) them, in order. */
function controlledOpener() {
  const pending: PromiseWithResolvers<FakeConnection>[] = [];
  let opened = 0;
  return {
    open: () => {
      const next = Promise.withResolvers<FakeConnection>();
      pending.push(next);
      return next.promise;
    },
    /** How many opens were started. */
    get started() {
      return pending.length;
    },
    /** Finishes the oldest unfinished open with a new connection. */
    finish(): FakeConnection {
      const connection = new FakeConnection(++opened);
      pending[opened - 1]!.resolve(connection);
      return connection;
    },
    fail(error: Error): void {
      pending[opened++]!.reject(error);
    },
  };
}

/** An opener that opens at once, numbering its connections. */
function instantOpener() {
  const connections: FakeConnection[] = [];
  return {
    connections,
    open: () => {
      const connection = new FakeConnection(connections.length + 1);
      connections.push(connection);
      return Promise.resolve(connection);
    },
  };
}

Deno.test("LazyConnection.get() opens once for concurrent first calls", async () => {
  const opener = controlledOpener();
  const lazy = new LazyConnection(opener.open);
  const calls = [lazy.get(), lazy.get(), lazy.get()];
  assert.equal(opener.started, 1);
  const connection = opener.finish();
  assert.deepEqual(await Promise.all(calls), [connection, connection, connection]);
  assert.equal(await lazy.get(), connection);
  await lazy.close();
});

Deno.test("LazyConnection.close() closes the connection; the next get() opens a new one", async () => {
  const opener = instantOpener();
  const lazy = new LazyConnection(opener.open);
  const first = await lazy.get();
  await lazy.close();
  assert.equal(first.closed, true);
  const second = await lazy.get();
  assert.notEqual(second, first);
  assert.equal(second.closed, false);
  await lazy.close();
  await lazy.close();
  assert.deepEqual(opener.connections.map((c) => [c.id, c.closed]), [[1, true], [2, true]]);
});

Deno.test("LazyConnection.close() during the first open waits for it, closes it, and callers get an open connection", async () => {
  const opener = controlledOpener();
  const lazy = new LazyConnection(opener.open);
  const waiting = [lazy.get(), lazy.get()];
  let closeDone = false;
  const closing = lazy.close().then(() => closeDone = true);
  await Promise.resolve();
  assert.equal(closeDone, false, "close() waits for the pending open");

  const taken = opener.finish();
  await closing;
  assert.equal(taken.closed, true, "the connection opened under close() is closed");
  assert.equal(opener.started, 2, "the waiting callers asked for a new connection");
  const next = opener.finish();
  assert.deepEqual(await Promise.all(waiting), [next, next]);
  assert.equal(next.closed, false);
  assert.equal(await lazy.get(), next);
  await lazy.close();
  assert.equal(next.closed, true);
});

Deno.test("LazyConnection.get() rejects when the open fails, and the next call tries again", async () => {
  const opener = controlledOpener();
  const lazy = new LazyConnection(opener.open);
  const failing = lazy.get();
  opener.fail(new Error("disk gone"));
  await assert.rejects(failing, { message: "disk gone" });
  const retry = lazy.get();
  assert.equal(opener.started, 2);
  const connection = opener.finish();
  assert.equal(await retry, connection);
  await lazy.close();
  assert.equal(connection.closed, true);
});

Deno.test("LazyConnection.close() during an open that fails does nothing", async () => {
  const opener = controlledOpener();
  const lazy = new LazyConnection(opener.open);
  const failing = lazy.get();
  const closing = lazy.close();
  opener.fail(new Error("disk gone"));
  await closing;
  await assert.rejects(failing, { message: "disk gone" });
  assert.equal(opener.started, 1, "a failed open is not retried by the waiting call");
});
