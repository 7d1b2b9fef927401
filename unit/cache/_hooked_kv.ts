/**
 * A KvClient wrapper for tests: records writes and runs hooks at chosen moments (before the next commit,
 * before a matching read, while listing), to force the interleavings concurrency tests need.
 *
 * @module
 */

import type {
  KvAtomicCheck,
  KvAtomicOperation,
  KvClient,
  KvCommitError,
  KvCommitResult,
  KvEntry,
  KvEntryMaybe,
  KvKey,
  KvListOptions,
  KvListSelector,
  KvSetOptions,
} from "../../src/cache/kv_client.ts";

type Hook = () => Promise<void>;

export class HookedKv implements KvClient {
  /** Outcome of every atomic commit, in order. */
  readonly commits: ("ok" | "check failed")[] = [];
  /** Options passed with every write, atomic or not. */
  readonly writeOptions: { key: KvKey; options: KvSetOptions | undefined }[] = [];
  readonly #inner: KvClient;
  readonly #beforeCommit: Hook[] = [];
  readonly #beforeGet: { matches: (key: KvKey) => boolean; run: Hook }[] = [];
  #onListed: ((entry: KvEntry<unknown>) => Promise<void>) | null = null;

  constructor(inner: KvClient) {
    this.#inner = inner;
  }

  /** Runs `run` when the next atomic commit starts, before it reaches KV. */
  beforeNextCommit(run: Hook): void {
    this.#beforeCommit.push(run);
  }

  /** Runs `run` once, before the first later read of a key that `matches`. */
  beforeNextGet(matches: (key: KvKey) => boolean, run: Hook): void {
    this.#beforeGet.push({ matches, run });
  }

  /** Runs `hook` for each listed entry before the lister sees it. */
  onListed(hook: ((entry: KvEntry<unknown>) => Promise<void>) | null): void {
    this.#onListed = hook;
  }

  async get<T = unknown>(key: KvKey): Promise<KvEntryMaybe<T>> {
    const at = this.#beforeGet.findIndex((hook) => hook.matches(key));
    if (at !== -1) await this.#beforeGet.splice(at, 1)[0]!.run();
    return await this.#inner.get<T>(key);
  }

  set(key: KvKey, value: unknown, options?: KvSetOptions): Promise<KvCommitResult> {
    this.writeOptions.push({ key, options });
    return this.#inner.set(key, value, options);
  }

  delete(key: KvKey): Promise<void> {
    return this.#inner.delete(key);
  }

  async *list<T = unknown>(
    selector: KvListSelector,
    options?: KvListOptions,
  ): AsyncIterable<KvEntry<T>> {
    for await (const entry of this.#inner.list<T>(selector, options)) {
      await this.#onListed?.(entry);
      yield entry;
    }
  }

  atomic(): KvAtomicOperation {
    const operation = this.#inner.atomic();
    const recordWrite = (key: KvKey, options: KvSetOptions | undefined) =>
      this.writeOptions.push({ key, options });
    const beforeCommit = () => this.#beforeCommit.shift()?.();
    const recordCommit = (ok: boolean) => this.commits.push(ok ? "ok" : "check failed");
    const wrapper: KvAtomicOperation = {
      check(...checks: KvAtomicCheck[]) {
        operation.check(...checks);
        return this;
      },
      set(key: KvKey, value: unknown, options?: KvSetOptions) {
        recordWrite(key, options);
        operation.set(key, value, options);
        return this;
      },
      delete(key: KvKey) {
        operation.delete(key);
        return this;
      },
      async commit(): Promise<KvCommitResult | KvCommitError> {
        await beforeCommit();
        const result = await operation.commit();
        recordCommit(result.ok);
        return result;
      },
    };
    return wrapper;
  }

  close(): void {
    this.#inner.close();
  }
}

/** Every key and versionstamp in `kv`, to prove a refused write changed nothing. */
export async function snapshot(kv: KvClient): Promise<string[]> {
  const rows: string[] = [];
  for await (const entry of kv.list({ prefix: [] })) {
    rows.push(`${JSON.stringify(entry.key)}@${entry.versionstamp}`);
  }
  return rows;
}

/** The versionstamp of the header of workflow `id`, as KV reports it: what records call `version`. */
export async function headerVersion(kv: KvClient, id: string): Promise<string> {
  const { versionstamp } = await kv.get(["workflow", id]);
  if (versionstamp === null) throw new Error(`expected a header for ${JSON.stringify(id)}`);
  return versionstamp;
}
