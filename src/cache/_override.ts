/**
 * Replaceable shared values (the shared KV and the shared clock): tests install a replacement for a
 * while and restore what was there before, so nothing leaks from one test to the next. Private to the
 * cache; `installKv` and `installClock` are shipped through `@pml/store/fixtures`.
 *
 * @module
 */

/** A replacement of a shared value, undone by `restore()` or by leaving a `using` block. */
export interface Override {
  /** Puts back what was in place before; calling it again is harmless. */
  restore(): void;
  /** Same as `restore()`, for `using`. */
  [Symbol.dispose](): void;
}

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
