/**
 * Test support: registers a test with the runtime's own runner — `Deno.test` under Deno, `node:test` under
 * Node — so the unit tests of the runtime-independent parts run under both (`deno test`, and `node --test`
 * on the built output). `t.step` is a sub-test in both.
 *
 * @module
 */

/** What a test function gets: a way to run named sub-steps. */
export interface TestContext {
  /** Runs `fn` as a named sub-step of the test. */
  step(name: string, fn: () => unknown): Promise<unknown>;
}

type Register = (name: string, fn: (t: TestContext) => unknown) => void;

const deno = (globalThis as { Deno?: { test: Register } }).Deno;

const register: Register = deno !== undefined
  ? (name, fn) => deno.test(name, fn)
  : await nodeRunner();

async function nodeRunner(): Promise<Register> {
  const { test: nodeTest } = await import("node:test");
  return (name, fn) => {
    nodeTest(name, async (t) => {
      await fn({ step: (stepName, step) => t.test(stepName, async () => void await step()) });
    });
  };
}

/** Registers the test `name`. */
export function test(name: string, fn: (t: TestContext) => unknown): void {
  register(name, fn);
}
