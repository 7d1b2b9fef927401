/**
 * The workflow DAG: the plan of tool calls a workflow runs, and the checks it must pass before the
 * cache stores it. Validation copies the DAG and the copy is what gets stored: every property is read
 * once, through its descriptor, so a getter or a proxy cannot hand the validator one value and the
 * writer another.
 *
 * @module
 */

/** A JSON scalar. */
export type JsonPrimitive = string | number | boolean | null;
/** Any JSON value. */
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** One task of a workflow DAG: a tool call and the tasks it waits for, plus any JSON fields. */
export interface WorkflowTask {
  /** Unique within the DAG. */
  id: string;
  /** The tool to call, e.g. `"filesystem:read_file"`. */
  tool: string;
  arguments: JsonObject;
  /** Ids of the tasks that must finish first; each names another task of the DAG, with no cycle. */
  dependsOn: string[];
  [field: string]: JsonValue;
}

/**
 * A workflow DAG: its tasks, in any order, plus any JSON fields.
 *
 * @example A two-task DAG
 * ```ts
 * import type { WorkflowDag } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const dag: WorkflowDag = {
 *   tasks: [
 *     { id: "read", tool: "fs:read", arguments: { path: "a.txt" }, dependsOn: [] },
 *     { id: "sum", tool: "text:summarize", arguments: {}, dependsOn: ["read"] },
 *   ],
 * };
 * assert.deepEqual(dag.tasks.map((task) => task.dependsOn.length), [0, 1]);
 * ```
 */
export interface WorkflowDag {
  tasks: WorkflowTask[];
  [field: string]: JsonValue;
}

/** @deprecated The historical name of {@linkcode WorkflowDag}. */
export type DAGStructure = WorkflowDag;

/** The deepest nesting of arrays and objects accepted, counting the DAG itself as level 1. */
export const MAX_JSON_DEPTH = 64;

/**
 * Validates `dag` and returns the validated copy, which is what the cache stores: plain JSON data
 * (own enumerable data properties, finite numbers with `-0` as `0`, at most
 * {@linkcode MAX_JSON_DEPTH} levels), unique task ids, and `dependsOn` entries naming tasks of the
 * DAG without a cycle. `size.bound` grows by an upper bound of the copy's V8-serialized bytes.
 * Private to the cache.
 *
 * @throws {TypeError} Naming the first offending path, or the tasks on a cycle.
 * @throws {RangeError} When the DAG nests deeper than {@linkcode MAX_JSON_DEPTH} levels.
 */
export function copyWorkflowDag(
  dag: unknown,
  action: string,
  size: { bound: number } = { bound: 0 },
): WorkflowDag {
  if (!isPlainObject(dag)) refuse(action, "the DAG to be an object", dag);
  const copy = copyJson({ action, size, ancestors: [], keys: [] }, dag) as WorkflowDag;
  if (!Array.isArray(copy.tasks)) refuse(action, "dag.tasks to be an array", copy.tasks);
  const indexById = new Map<string, number>();
  for (const [index, task] of (copy.tasks as unknown as Record<string, unknown>[]).entries()) {
    const at = `dag.tasks[${index}]`;
    if (!isPlainObject(task)) refuse(action, `${at} to be an object`, task);
    for (const field of ["id", "tool"]) {
      const value = task[field];
      if (typeof value !== "string" || value === "") {
        refuse(action, `${at}.${field} to be a non-empty string`, value);
      }
    }
    const { id, arguments: args, dependsOn } = task as Partial<WorkflowTask> & { id: string };
    if (!isPlainObject(args)) refuse(action, `${at}.arguments to be an object`, args);
    if (!Array.isArray(dependsOn)) {
      refuse(action, `${at}.dependsOn to be an array of task ids`, dependsOn);
    }
    const bad = dependsOn.findIndex((dependency) => typeof dependency !== "string");
    if (bad !== -1) refuse(action, `${at}.dependsOn[${bad}] to be a string`, dependsOn[bad]);
    const first = indexById.get(id);
    if (first !== undefined) {
      refuse(
        action,
        `unique task ids, found ${JSON.stringify(id)} at dag.tasks[${first}] and ${at}`,
      );
    }
    indexById.set(id, index);
  }
  copy.tasks.forEach((task, index) =>
    task.dependsOn.forEach((dependency, at) => {
      if (indexById.has(dependency)) return;
      const found = `found ${JSON.stringify(dependency)}`;
      refuse(action, `dag.tasks[${index}].dependsOn[${at}] to name a task of the DAG, ${found}`);
    })
  );
  const cycle = findCycle(copy.tasks, indexById)?.map((id) => JSON.stringify(id)).join(" → ");
  if (cycle !== undefined) refuse(action, `dependsOn to form no cycle, found ${cycle}`);
  return copy;
}

/** Throws the `TypeError` of a failed check: what was `expected`, and the value found if given. */
function refuse(action: string, expected: string, ...found: [unknown?]): never {
  const what = found.length === 0 ? "" : `, found ${describeValue(found[0])}`;
  throw new TypeError(`Cannot ${action}: expected ${expected}${what}`);
}

/**
 * The ids on one cycle of `dependsOn` edges, the first id repeated at the end, or `null`. Iterative
 * depth-first search, so a long chain cannot overflow the stack.
 */
function findCycle(tasks: WorkflowTask[], indexById: Map<string, number>): string[] | null {
  const state = new Uint8Array(tasks.length); // 0 unvisited, 1 on the current path, 2 done
  for (let root = 0; root < tasks.length; root++) {
    if (state[root] !== 0) continue;
    const path = [root];
    const next = [0];
    state[root] = 1;
    while (path.length > 0) {
      const at = path.length - 1;
      const task = tasks[path[at]!]!;
      const position = next[at]!;
      if (position === task.dependsOn.length) {
        state[path.pop()!] = 2;
        next.pop();
        continue;
      }
      next[at] = position + 1;
      const target = indexById.get(task.dependsOn[position]!)!;
      if (state[target] === 1) {
        return [...path.slice(path.indexOf(target)), target].map((index) => tasks[index]!.id);
      }
      if (state[target] === 0) {
        state[target] = 1;
        path.push(target);
        next.push(0);
      }
    }
  }
  return null;
}

/**
 * What one copy carries down the tree: `size.bound`, an upper bound of the V8 serialization (2
 * bytes per UTF-16 unit plus tags), and `keys`, the path below `dag`, formatted only on error.
 */
interface Walk {
  action: string;
  size: { bound: number };
  /** The arrays and objects above the current value: a few, so a list beats a `Set`. */
  ancestors: object[];
  keys: (string | number)[];
}

/** A copy of `value`, reading each own property once, through its descriptor. */
function copyJson(walk: Walk, value: unknown): unknown {
  walk.size.bound += typeof value === "string" ? 6 + 2 * value.length : 16;
  if (typeof value === "string" || typeof value === "boolean" || value === null) return value;
  if (typeof value === "number" && Number.isFinite(value)) return value === 0 ? 0 : value;
  if (typeof value !== "object") return refuseAt(walk, describeValue(value));
  const { ancestors } = walk;
  if (ancestors.includes(value)) refuseAt(walk, "a circular reference");
  if (ancestors.length >= MAX_JSON_DEPTH) {
    const found = `found deeper nesting at ${pathOf(walk)}`;
    const expected = `expected at most ${MAX_JSON_DEPTH} levels of nested arrays and objects`;
    throw new RangeError(`Cannot ${walk.action}: ${expected}, ${found}`);
  }
  const array = Array.isArray(value) ? value : null;
  if (array === null && !isPlainObject(value)) refuseAt(walk, describeValue(value));
  const keys = array ? null : Reflect.ownKeys(value);
  ancestors.push(value);
  const copy = (array ? [] : {}) as Record<string | number, unknown>;
  for (let at = 0, count = keys ? keys.length : array!.length; at < count; at++) {
    const key = keys ? keys[at]! : at;
    if (typeof key === "symbol") refuseAt(walk, "an object with symbol-keyed properties");
    if (typeof key === "string") walk.size.bound += 6 + 2 * key.length;
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    if (descriptor === undefined) refuseAt(walk, "an empty array slot", key);
    if (!("value" in descriptor)) refuseAt(walk, "an accessor property (get/set)", key);
    if (!descriptor.enumerable) refuseAt(walk, "a non-enumerable property", key);
    walk.keys.push(key);
    const item = copyJson(walk, descriptor.value);
    // Defined, not assigned: assigning an own "__proto__" key would set the copy's prototype
    // instead, losing the key, where `Object.prototype.__proto__` exists (Node; Deno removes it).
    if (key === "__proto__") {
      Object.defineProperty(copy, key, {
        value: item,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else copy[key] = item;
    walk.keys.pop();
  }
  if (array && Reflect.ownKeys(array).length !== array.length + 1) {
    refuseAt(walk, "an array with properties besides its items");
  }
  ancestors.pop();
  return copy;
}

/** Throws naming the current path, or the path of its property `key`. */
function refuseAt(walk: Walk, found: string, key?: string | number): never {
  if (key !== undefined) walk.keys.push(key);
  throw new TypeError(
    `Cannot ${walk.action}: expected plain JSON data at ${pathOf(walk)}, found ${found}`,
  );
}

/** `dag.a[0]`, or `dag["odd key"]` for a key that is not an identifier. */
function pathOf({ keys }: Walk): string {
  return keys.reduce<string>(
    (path, key) =>
      typeof key === "number"
        ? `${path}[${key}]`
        : /^[A-Za-z_$][\w$]*$/.test(key)
        ? `${path}.${key}`
        : `${path}[${JSON.stringify(key)}]`,
    "dag",
  );
}

/** Whether `value` is an object literal (or has a `null` prototype), not a class instance or array. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** A short description of a value for error messages: `number NaN`, `string "x"`, `Date`, `array`. */
function describeValue(value: unknown): string {
  if (typeof value === "number" || typeof value === "boolean") return `${typeof value} ${value}`;
  if (typeof value === "string") {
    return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  }
  if (typeof value !== "object") return typeof value;
  if (value === null || Array.isArray(value)) return value === null ? "null" : "array";
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return isPlainObject(value) || typeof name !== "string" || name === "" ? "object" : name;
}
