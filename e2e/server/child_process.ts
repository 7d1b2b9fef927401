/**
 * Test support: waiting on child processes for events — a line of output, an exit — and never for a
 * fixed time. A deadline only bounds a hang, and is generous ({@linkcode HANG_MS}): a loaded machine is
 * slow, not stuck. A wait that fails says what it waited for, for how long, and the tail of the output.
 *
 * @module
 */

/** How long a wait may take before it counts as a hang: two minutes. */
export const HANG_MS = 120_000;

/** The last `lines` lines of `text`, for a failure message. */
export function tail(text: string, lines = 30): string {
  const kept = text.trimEnd().split("\n").slice(-lines).join("\n");
  return kept === "" ? "(nothing)" : kept;
}

/** What {@linkcode runChild} returns: the exit code and the decoded output. */
export interface ChildRun {
  code: number;
  out: string;
  err: string;
}

/** Options of {@linkcode runChild}. */
export interface RunChildOptions {
  /** What the child does, for the failure message: "initdb of PostgreSQL 17". */
  what: string;
  /** Its environment (added to this process's). */
  env?: Record<string, string>;
  /** @default {HANG_MS} */
  timeoutMs?: number;
}

/**
 * Runs `program` to its exit and returns its code and output.
 *
 * @throws {Error} when it runs longer than `timeoutMs` (it is killed), naming `what`, the time and the
 * output's tail.
 */
export async function runChild(
  program: string,
  args: string[],
  options: RunChildOptions,
): Promise<ChildRun> {
  const timeoutMs = options.timeoutMs ?? HANG_MS;
  const started = performance.now();
  const output = await new Deno.Command(program, {
    args,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(timeoutMs),
    ...(options.env === undefined ? {} : { env: options.env }),
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  const run = { code: output.code, out: decode(output.stdout), err: decode(output.stderr) };
  if (output.signal === "SIGTERM" && performance.now() - started >= timeoutMs) {
    throw new Error(
      `Cannot wait for ${options.what} to exit: it ran for more than ${timeoutMs} ms and was killed; ` +
        `its stderr ends with:\n${tail(run.err)}\nits stdout ends with:\n${tail(run.out)}`,
    );
  }
  return run;
}

/** Options of {@linkcode readUntil} and {@linkcode readToEnd}. */
export interface ReadUntilOptions {
  /** What the wait is for, for the failure message: "the server to print its URL". */
  what: string;
  /** `Infinity`: no deadline. @default {HANG_MS} */
  timeoutMs?: number;
  /** More output for the failure message, such as the child's stderr so far. */
  context?: () => string;
}

/**
 * Reads `lines` until the text read so far matches `pattern`, and returns the match and that text; the
 * reader stays open for the rest.
 *
 * @throws {Error} when the stream ends first or `timeoutMs` passes, with the text read so far.
 */
export async function readUntil(
  lines: ReadableStreamDefaultReader<string>,
  pattern: RegExp,
  options: ReadUntilOptions,
): Promise<{ match: RegExpMatchArray; text: string }> {
  let match: RegExpMatchArray | null = null;
  const text = await read(lines, (text) => (match = text.match(pattern)) !== null, {
    ...options,
    what: `${options.what} (${pattern})`,
  });
  if (match === null) throw new Error(`Cannot wait for ${options.what}: the output ended first`);
  return { match, text };
}

/**
 * Reads `lines` to its end and returns the text.
 *
 * @throws {Error} when it has not ended within `timeoutMs`, naming `what` and the text read so far.
 */
export function readToEnd(
  lines: ReadableStreamDefaultReader<string>,
  options: ReadUntilOptions,
): Promise<string> {
  return read(lines, null, options);
}

/** Reads until `enough(text)` (or to the end when it is null), failing at the deadline. */
async function read(
  lines: ReadableStreamDefaultReader<string>,
  enough: ((text: string) => boolean) | null,
  options: ReadUntilOptions,
): Promise<string> {
  const timeoutMs = options.timeoutMs ?? HANG_MS;
  const started = performance.now();
  let text = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<"expired">((resolve) => {
    if (Number.isFinite(timeoutMs)) timer = setTimeout(() => resolve("expired"), timeoutMs);
  });
  const failure = (why: string) =>
    new Error(
      `Cannot wait for ${options.what}: ${why} after ${
        Math.round(performance.now() - started)
      } ms; the output ends with:\n${tail(text)}${
        options.context ? `\nand the other stream with:\n${tail(options.context())}` : ""
      }`,
    );
  try {
    while (true) {
      const next = await Promise.race([lines.read(), expired]);
      if (next === "expired") throw failure(`gave up (the deadline is ${timeoutMs} ms)`);
      if (next.done) {
        if (enough === null) return text;
        throw failure("the output ended");
      }
      text += next.value;
      if (enough?.(text)) return text;
    }
  } finally {
    clearTimeout(timer);
  }
}

/** A stream read to its end in the background: the text so far, and the whole text when it ends. */
export function collect(
  stream: ReadableStream<Uint8Array>,
): { text(): string; done: Promise<string> } {
  let text = "";
  const done = (async () => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) text += chunk;
    return text;
  })();
  return { text: () => text, done };
}
