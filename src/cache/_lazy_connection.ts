/**
 * One lazily opened connection shared by every caller: the machinery behind the shared KV. Private to
 * the cache; the opener is injected so the races between opening and closing can be tested without
 * touching the process environment or the user's store.
 *
 * @module
 */

/** Anything with a synchronous `close()`, like a KV connection. */
export interface Closable {
  close(): void;
}

/**
 * Opens one connection on first use and hands it to every caller until {@linkcode LazyConnection.close}.
 */
export class LazyConnection<T extends Closable> {
  readonly #open: () => Promise<T>;
  #opening: Promise<T> | null = null;

  /** @param open Opens a new connection; called on first use and after each close or failure. */
  constructor(open: () => Promise<T>) {
    this.#open = open;
  }

  /**
   * The connection, opened on first use; concurrent first calls share one open. A failed open is
   * forgotten, so the next call tries again. A call never resolves with a connection that `close()`
   * took while it was opening: it gets the connection opened after that close.
   *
   * @throws Whatever the opener throws.
   */
  async get(): Promise<T> {
    while (true) {
      const opening = this.#opening ?? this.#start();
      const connection = await opening;
      if (this.#opening === opening) return connection;
      // close() ran while this open was pending and is closing its connection: do not hand it out.
    }
  }

  /**
   * Closes the connection, after waiting for its open if one is pending; the next `get()` opens a new
   * one. Closing when nothing is open, or when the pending open fails, does nothing.
   */
  async close(): Promise<void> {
    const opening = this.#opening;
    this.#opening = null;
    if (opening === null) return;
    let connection: T;
    try {
      connection = await opening;
    } catch {
      return; // It never opened, so there is nothing to close.
    }
    connection.close();
  }

  #start(): Promise<T> {
    const opening = this.#open();
    this.#opening = opening;
    opening.catch(() => {
      if (this.#opening === opening) this.#opening = null;
    });
    return opening;
  }
}
