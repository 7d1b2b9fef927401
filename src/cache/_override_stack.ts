/**
 * The stack behind the replaceable shared values (KV and clock). Private to the cache.
 *
 * @module
 */

import type { Override } from "./override.ts";

/**
 * A stack of installed values: the newest one wins, and each override removes exactly its own entry,
 * so overrides may be restored in any order.
 */
export class OverrideStack<T> {
  readonly #entries: { readonly value: T }[] = [];

  /** The most recently installed value still in place, or `undefined`. */
  top(): T | undefined {
    return this.#entries.at(-1)?.value;
  }

  /** Installs `value` until the returned override is restored. */
  push(value: T): Override {
    const entry = { value };
    this.#entries.push(entry);
    const restore = () => {
      const at = this.#entries.indexOf(entry);
      if (at !== -1) this.#entries.splice(at, 1);
    };
    return { restore, [Symbol.dispose]: restore };
  }
}
