/**
 * The workflow DAG: the plan of tool calls a workflow runs, and the checks it must pass before the cache
 * stores it.
 *
 * @module
 */

import { assertJsonData, describeValue, isPlainObject } from "./_json_data.ts";

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
  /** Ids of the tasks that must finish first; each must name a task of the same DAG. */
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
 * Checks that `dag` is a {@linkcode WorkflowDag} made of plain JSON data, with unique task ids and
 * `dependsOn` entries that name tasks of the DAG. Cycles are not checked: scheduling is not the cache's
 * concern.
 *
 * @param dag The value to check.
 * @param action What the caller is doing, for the message (default `"validate workflow DAG"`).
 * @throws {TypeError} Naming the first offending path, e.g.
 * `Cannot save workflow state: expected dag.tasks[1].dependsOn[0] to name a task of the DAG, found "x"`.
 *
 * @example Refusing a dangling dependency
 * ```ts
 * import { assertWorkflowDag } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const dag = { tasks: [{ id: "a", tool: "t", arguments: {}, dependsOn: ["ghost"] }] };
 * assert.throws(() => assertWorkflowDag(dag), {
 *   name: "TypeError",
 *   message:
 *     'Cannot validate workflow DAG: expected dag.tasks[0].dependsOn[0] to name a task of the DAG, found "ghost"',
 * });
 * ```
 */
export function assertWorkflowDag(
  dag: unknown,
  action = "validate workflow DAG",
): asserts dag is WorkflowDag {
  if (!isPlainObject(dag)) expected(action, "the DAG to be an object", dag);
  const tasks = dag.tasks;
  if (!Array.isArray(tasks)) expected(action, "dag.tasks to be an array", tasks);
  const firstIndexById = new Map<string, number>();
  tasks.forEach((task: unknown, index) => {
    const id = assertTaskShape(action, task, `dag.tasks[${index}]`);
    const first = firstIndexById.get(id);
    if (first !== undefined) {
      throw new TypeError(
        `Cannot ${action}: expected unique task ids, found ${
          JSON.stringify(id)
        } at dag.tasks[${first}] and dag.tasks[${index}]`,
      );
    }
    firstIndexById.set(id, index);
  });
  assertJsonData(action, dag, "dag");
  tasks.forEach((task: WorkflowTask, index) => {
    task.dependsOn.forEach((dependency, position) => {
      if (!firstIndexById.has(dependency)) {
        throw new TypeError(
          `Cannot ${action}: expected dag.tasks[${index}].dependsOn[${position}] to name a task of the DAG, found ${
            JSON.stringify(dependency)
          }`,
        );
      }
    });
  });
}

/** Checks the fields every task needs and returns its id. */
function assertTaskShape(action: string, task: unknown, path: string): string {
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

function expected(action: string, what: string, found: unknown): never {
  throw new TypeError(`Cannot ${action}: expected ${what}, found ${describeValue(found)}`);
}
