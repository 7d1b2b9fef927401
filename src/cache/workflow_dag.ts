/**
 * The workflow DAG: the plan of tool calls a workflow runs, and the checks it must pass before the cache
 * stores it.
 *
 * @module
 */

import { copyJsonData, describeValue, isPlainObject } from "./_json_data.ts";

/** A JSON scalar. */
export type JsonPrimitive = string | number | boolean | null;

/** Any JSON value. */
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/**
 * One task of a workflow DAG: a tool call and the tasks it waits for. Extra JSON fields are allowed and
 * stored as they are.
 */
export interface WorkflowTask {
  /** Unique within the DAG. */
  id: string;
  /** The tool to call, e.g. `"filesystem:read_file"`. */
  tool: string;
  /** The tool's arguments. */
  arguments: JsonObject;
  /** Ids of the tasks that must finish first; each must name another task of the same DAG. */
  dependsOn: string[];
  /** Further JSON fields. */
  [field: string]: JsonValue;
}

/**
 * A workflow DAG. Extra JSON fields beside `tasks` are allowed and stored as they are.
 *
 * @example A two-task DAG
 * ```ts
 * import { assertWorkflowDag, type WorkflowDag } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const dag: WorkflowDag = {
 *   tasks: [
 *     { id: "read", tool: "fs:read", arguments: { path: "a.txt" }, dependsOn: [] },
 *     { id: "sum", tool: "text:summarize", arguments: {}, dependsOn: ["read"] },
 *   ],
 * };
 * assertWorkflowDag(dag);
 * assert.equal(dag.tasks.length, 2);
 * ```
 */
export interface WorkflowDag {
  /** The tasks, in any order. */
  tasks: WorkflowTask[];
  /** Further JSON fields. */
  [field: string]: JsonValue;
}

/** @deprecated The historical name of {@linkcode WorkflowDag}. */
export type DAGStructure = WorkflowDag;

/**
 * Checks that `dag` is a {@linkcode WorkflowDag}: plain JSON data (own enumerable data properties
 * only, no getters, at most 64 levels of nesting), unique task ids, and `dependsOn` entries that name
 * tasks of the DAG without forming a cycle.
 *
 * @param dag The value to check.
 * @param action What the caller is doing, for the message (default `"validate workflow DAG"`).
 * @throws {TypeError} Naming the first offending path, or the tasks on a cycle.
 * @throws {RangeError} When the DAG nests deeper than 64 levels.
 *
 * @example Refusing a cycle
 * ```ts
 * import { assertWorkflowDag } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const dag = {
 *   tasks: [
 *     { id: "a", tool: "t", arguments: {}, dependsOn: ["b"] },
 *     { id: "b", tool: "t", arguments: {}, dependsOn: ["a"] },
 *   ],
 * };
 * assert.throws(() => assertWorkflowDag(dag), {
 *   name: "TypeError",
 *   message:
 *     'Cannot validate workflow DAG: expected dependsOn to form no cycle, found "a" → "b" → "a"',
 * });
 * ```
 */
export function assertWorkflowDag(
  dag: unknown,
  action = "validate workflow DAG",
): asserts dag is WorkflowDag {
  copyWorkflowDag(dag, action);
}

/**
 * Validates `dag` as {@linkcode assertWorkflowDag} does and returns the copy that was validated, which
 * is what the cache stores; `size.bound` grows by an upper bound of the copy's V8-serialized bytes.
 * Private to the cache.
 */
export function copyWorkflowDag(
  dag: unknown,
  action: string,
  size: { bound: number } = { bound: 0 },
): WorkflowDag {
  if (!isPlainObject(dag)) expected(action, "the DAG to be an object", dag);
  const copy = copyJsonData(action, dag, "dag", size) as Record<string, unknown>;
  const tasks = copy.tasks;
  if (!Array.isArray(tasks)) expected(action, "dag.tasks to be an array", tasks);
  const indexById = new Map<string, number>();
  tasks.forEach((task: unknown, index) => {
    const id = taskId(action, task, `dag.tasks[${index}]`);
    const first = indexById.get(id);
    if (first !== undefined) {
      throw new TypeError(
        `Cannot ${action}: expected unique task ids, found ${
          JSON.stringify(id)
        } at dag.tasks[${first}] and dag.tasks[${index}]`,
      );
    }
    indexById.set(id, index);
  });
  const valid = copy as WorkflowDag;
  valid.tasks.forEach((task, index) => {
    task.dependsOn.forEach((dependency, position) => {
      if (!indexById.has(dependency)) {
        throw new TypeError(
          `Cannot ${action}: expected dag.tasks[${index}].dependsOn[${position}] to name a task of the DAG, found ${
            JSON.stringify(dependency)
          }`,
        );
      }
    });
  });
  const cycle = findCycle(valid.tasks, indexById);
  if (cycle !== null) {
    throw new TypeError(
      `Cannot ${action}: expected dependsOn to form no cycle, found ${
        cycle.map((id) => JSON.stringify(id)).join(" → ")
      }`,
    );
  }
  return valid;
}

/** Checks the fields every task needs and returns its id. */
function taskId(action: string, task: unknown, path: string): string {
  if (!isPlainObject(task)) expected(action, `${path} to be an object`, task);
  for (const field of ["id", "tool"] as const) {
    const value = task[field];
    if (typeof value !== "string" || value === "") {
      expected(action, `${path}.${field} to be a non-empty string`, value);
    }
  }
  if (!isPlainObject(task.arguments)) {
    expected(action, `${path}.arguments to be an object`, task.arguments);
  }
  const dependsOn = task.dependsOn;
  if (!Array.isArray(dependsOn)) {
    expected(action, `${path}.dependsOn to be an array of task ids`, dependsOn);
  }
  dependsOn.forEach((dependency: unknown, position) => {
    if (typeof dependency !== "string") {
      expected(action, `${path}.dependsOn[${position}] to be a string`, dependency);
    }
  });
  return task.id as string;
}

/**
 * The ids on one cycle of `dependsOn` edges, first id repeated at the end, or `null`. Iterative depth
 * first search, so a long chain cannot overflow the stack.
 */
function findCycle(tasks: WorkflowTask[], indexById: Map<string, number>): string[] | null {
  const state = new Uint8Array(tasks.length); // 0 unvisited, 1 on the current path, 2 done
  for (let root = 0; root < tasks.length; root++) {
    if (state[root] !== 0) continue;
    const path: number[] = [root];
    const next: number[] = [0];
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
        const ids = path.slice(path.indexOf(target)).map((index) => tasks[index]!.id);
        return [...ids, tasks[target]!.id];
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

function expected(action: string, what: string, found: unknown): never {
  throw new TypeError(`Cannot ${action}: expected ${what}, found ${describeValue(found)}`);
}
