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
  /** The tool's arguments. */
  arguments: JsonObject;
  /** Ids of the tasks that must finish first; each names another task of the DAG, with no cycle. */
  dependsOn: string[];
  /** Further JSON fields, stored as they are. */
  [field: string]: JsonValue;
}

/**
 * A workflow DAG: its tasks, plus any JSON fields.
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
  /** The tasks, in any order. */
  tasks: WorkflowTask[];
  /** Further JSON fields, stored as they are. */
  [field: string]: JsonValue;
}

/** @deprecated The historical name of {@linkcode WorkflowDag}. */
export type DAGStructure = WorkflowDag;

/** The deepest nesting of arrays and objects accepted, counting the DAG itself as level 1. */
export const MAX_JSON_DEPTH = 64;

/** Checks that `dag` is a {@linkcode WorkflowDag}, as {@linkcode copyWorkflowDag} does. Private. */
export function assertWorkflowDag(
  dag: unknown,
  action = "validate workflow DAG",
): asserts dag is WorkflowDag {
  copyWorkflowDag(dag, action);
}

/**
 * Validates `dag` and returns the copy that was validated, which is what the cache stores: plain JSON
 * data (own enumerable data properties, finite numbers with `-0` as `0`, at most
 * {@linkcode MAX_JSON_DEPTH} levels), unique task ids, and `dependsOn` entries naming tasks of the
 * DAG without a cycle. `size.bound` grows by an upper bound of the copy's V8-serialized bytes.
 *
 * @throws {TypeError} Naming the first offending path (`undefined`, bigints, functions, class
 * instances, accessors, non-enumerable or symbol-keyed properties, array holes or extra properties,
 * circular references…), or the tasks on a cycle.
 * @throws {RangeError} When the DAG nests deeper than {@linkcode MAX_JSON_DEPTH} levels.
 */
export function copyWorkflowDag(
  dag: unknown,
  action: string,
  size: { bound: number } = { bound: 0 },
): WorkflowDag {
  const refuse = (expected: string): never => {
    throw new TypeError(`Cannot ${action}: expected ${expected}`);
  };
  const check = (ok: boolean, what: string, found: unknown) =>
    ok || refuse(`${what}, found ${describeValue(found)}`);
  check(isPlainObject(dag), "the DAG to be an object", dag);
  const copy = copyJson({ action, size, ancestors: new Set(), keys: [] }, dag) as WorkflowDag;
  check(Array.isArray(copy.tasks), "dag.tasks to be an array", copy.tasks);
  const indexById = new Map<string, number>();
  copy.tasks.forEach((task: Record<string, unknown>, index) => {
    const path = `dag.tasks[${index}]`;
    check(isPlainObject(task), `${path} to be an object`, task);
    for (const field of ["id", "tool"]) {
      const value = task[field];
      check(
        typeof value === "string" && value !== "",
        `${path}.${field} to be a non-empty string`,
        value,
      );
    }
    check(isPlainObject(task.arguments), `${path}.arguments to be an object`, task.arguments);
    const dependsOn = task.dependsOn as unknown[];
    check(Array.isArray(dependsOn), `${path}.dependsOn to be an array of task ids`, dependsOn);
    dependsOn.forEach((dependency, at) =>
      check(typeof dependency === "string", `${path}.dependsOn[${at}] to be a string`, dependency)
    );
    const id = task.id as string;
    const first = indexById.get(id);
    if (first !== undefined) {
      refuse(`unique task ids, found ${JSON.stringify(id)} at dag.tasks[${first}] and ${path}`);
    }
    indexById.set(id, index);
  });
  copy.tasks.forEach((task, index) =>
    task.dependsOn.forEach((dependency, at) => {
      const name = JSON.stringify(dependency);
      if (!indexById.has(dependency)) {
        refuse(`dag.tasks[${index}].dependsOn[${at}] to name a task of the DAG, found ${name}`);
      }
    })
  );
  const cycle = findCycle(copy.tasks, indexById)?.map((id) => JSON.stringify(id)).join(" → ");
  if (cycle !== undefined) refuse(`dependsOn to form no cycle, found ${cycle}`);
  return copy;
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

/** What one copy carries down the tree; `keys` is the path below `dag`, formatted only on error. */
interface Walk {
  action: string;
  /** Upper bound of the V8 serialization (what KV stores): 2 bytes per UTF-16 unit plus tags. */
  size: { bound: number };
  ancestors: Set<object>;
  keys: (string | number)[];
}

/** A copy of `value`, reading each own property once, through its descriptor. */
function copyJson(walk: Walk, value: unknown): unknown {
  const { ancestors, size } = walk;
  size.bound += typeof value === "string" ? 6 + 2 * value.length : 16;
  if (typeof value === "string" || typeof value === "boolean" || value === null) return value;
  if (typeof value === "number" && Number.isFinite(value)) return value === 0 ? 0 : value;
  if (typeof value !== "object") return refuse(walk, describeValue(value));
  if (ancestors.has(value)) refuse(walk, "a circular reference");
  if (ancestors.size >= MAX_JSON_DEPTH) {
    const path = pathOf(walk);
    throw new RangeError(
      `Cannot ${walk.action}: expected at most ${MAX_JSON_DEPTH} levels of nested arrays and objects, found deeper nesting at ${path}`,
    );
  }
  const array = Array.isArray(value) ? value : null;
  if (!array && !isPlainObject(value)) refuse(walk, describeValue(value));
  if (array && Reflect.ownKeys(array).length !== array.length + 1) {
    for (let index = 0; index < array.length; index++) {
      if (!Object.hasOwn(array, index)) refuse(walk, "an empty array slot", index);
    }
    refuse(walk, "an array with properties besides its items");
  }
  ancestors.add(value);
  const copy = (array ? [] : {}) as Record<string | number, unknown>;
  for (const key of array ? [...array.keys()] : Reflect.ownKeys(value)) {
    if (typeof key === "symbol") refuse(walk, "an object with symbol-keyed properties");
    if (typeof key === "string") size.bound += 6 + 2 * key.length;
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    if (descriptor === undefined) refuse(walk, "an empty array slot", key);
    if (!("value" in descriptor)) refuse(walk, "an accessor property (get/set)", key);
    if (!descriptor.enumerable) refuse(walk, "a non-enumerable property", key);
    walk.keys.push(key);
    copy[key] = copyJson(walk, descriptor.value);
    walk.keys.pop();
  }
  ancestors.delete(value);
  return copy;
}

/** Throws naming the current path, or the path of its property `key`. */
function refuse(walk: Walk, found: string, key?: string | number): never {
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
  switch (typeof value) {
    case "number":
    case "boolean":
      return `${typeof value} ${String(value)}`;
    case "string":
      return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) return "array";
      const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
      return isPlainObject(value) || typeof name !== "string" || name === "" ? "object" : name;
    }
    default:
      return typeof value;
  }
}
