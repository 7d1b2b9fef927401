/**
 * What a file-system error from `node:fs` means, in both runtimes: Node and Deno's `node:fs` report a
 * missing file as `ENOENT`, and Deno reports a permission its sandbox withholds as `NotCapable` (and, from
 * its own APIs, `PermissionDenied`).
 *
 * @module
 */

/** Whether `error` says the path does not exist. */
export function isNotFound(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "ENOENT";
}

/** Whether `error` says this process may not access the path (the OS, or Deno's permissions). */
export function isPermissionDenied(error: unknown): boolean {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  return code === "EACCES" || code === "EPERM" || name === "NotCapable" ||
    name === "PermissionDenied";
}
