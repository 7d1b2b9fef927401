import assert from "node:assert/strict";
import { copyWorkflowDag, type WorkflowDag } from "../../src/cache/workflow_dag.ts";
import { test } from "../dual_runtime.ts";

const task = (id: string, dependsOn: string[] = []) => ({
  id,
  tool: "fs:read",
  arguments: { path: `${id}.txt` },
  dependsOn,
});

test("copyWorkflowDag() accepts a DAG of plain JSON data with extra fields and copies it", () => {
  const dag: WorkflowDag = {
    tasks: [task("a"), { ...task("b", ["a"]), retries: 2, meta: { tags: ["x"], note: null } }],
    version: 3,
  };
  const copy = copyWorkflowDag(dag, "save workflow state");
  assert.deepEqual(copy, dag);
  assert.notEqual(copy.tasks, dag.tasks);
  assert.deepEqual(copyWorkflowDag({ tasks: [] }, "save workflow state"), { tasks: [] });
  copyWorkflowDag({
    tasks: [task("a")],
    nullProto: Object.assign(Object.create(null), { k: 1 }),
  }, "save workflow state");
});

test("copyWorkflowDag() refuses malformed DAGs naming the offending path", async (t) => {
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  class Point {
    x = 1;
  }
  const cases: [string, unknown, string][] = [
    ["null", null, "expected the DAG to be an object, found null"],
    ["an array", [], "expected the DAG to be an object, found array"],
    ["no tasks", {}, "expected dag.tasks to be an array, found undefined"],
    ["tasks not an array", { tasks: "a" }, 'expected dag.tasks to be an array, found string "a"'],
    [
      "a task that is not an object",
      { tasks: [7] },
      "expected dag.tasks[0] to be an object, found number 7",
    ],
    [
      "a task without id",
      { tasks: [{ tool: "t", arguments: {}, dependsOn: [] }] },
      "expected dag.tasks[0].id to be a non-empty string, found undefined",
    ],
    [
      "a task with an empty tool",
      { tasks: [{ id: "a", tool: "", arguments: {}, dependsOn: [] }] },
      'expected dag.tasks[0].tool to be a non-empty string, found string ""',
    ],
    [
      "arguments that are an array",
      { tasks: [{ id: "a", tool: "t", arguments: [], dependsOn: [] }] },
      "expected dag.tasks[0].arguments to be an object, found array",
    ],
    [
      "a missing dependsOn",
      { tasks: [{ id: "a", tool: "t", arguments: {} }] },
      "expected dag.tasks[0].dependsOn to be an array of task ids, found undefined",
    ],
    [
      "a dependsOn entry that is not a string",
      { tasks: [task("a"), { ...task("b"), dependsOn: [1] }] },
      "expected dag.tasks[1].dependsOn[0] to be a string, found number 1",
    ],
    [
      "duplicate task ids",
      { tasks: [task("a"), task("b"), task("a")] },
      'expected unique task ids, found "a" at dag.tasks[0] and dag.tasks[2]',
    ],
    [
      "a dependsOn entry naming no task",
      { tasks: [task("a"), task("b", ["a", "ghost"])] },
      'expected dag.tasks[1].dependsOn[1] to name a task of the DAG, found "ghost"',
    ],
    [
      "a Date argument",
      { tasks: [{ ...task("a"), arguments: { when: new Date(0) } }] },
      "expected plain JSON data at dag.tasks[0].arguments.when, found Date",
    ],
    [
      "NaN",
      { tasks: [{ ...task("a"), arguments: { n: Number.NaN } }] },
      "expected plain JSON data at dag.tasks[0].arguments.n, found number NaN",
    ],
    [
      "Infinity in an extra field",
      { tasks: [task("a")], score: Number.POSITIVE_INFINITY },
      "expected plain JSON data at dag.score, found number Infinity",
    ],
    [
      "undefined",
      { tasks: [{ ...task("a"), arguments: { maybe: undefined } }] },
      "expected plain JSON data at dag.tasks[0].arguments.maybe, found undefined",
    ],
    [
      "a bigint",
      { tasks: [{ ...task("a"), arguments: { big: 1n } }] },
      "expected plain JSON data at dag.tasks[0].arguments.big, found bigint",
    ],
    [
      "a function",
      { tasks: [{ ...task("a"), arguments: { run: () => 1 } }] },
      "expected plain JSON data at dag.tasks[0].arguments.run, found function",
    ],
    [
      "a Map under an odd key",
      { tasks: [{ ...task("a"), arguments: { "odd key": new Map() } }] },
      'expected plain JSON data at dag.tasks[0].arguments["odd key"], found Map',
    ],
    [
      "a class instance",
      { tasks: [{ ...task("a"), arguments: { p: new Point() } }] },
      "expected plain JSON data at dag.tasks[0].arguments.p, found Point",
    ],
    [
      "an empty array slot",
      // deno-lint-ignore no-sparse-arrays
      { tasks: [{ ...task("a"), arguments: { list: [1, , 3] } }] },
      "expected plain JSON data at dag.tasks[0].arguments.list[1], found an empty array slot",
    ],
    [
      "a symbol-keyed property",
      { tasks: [{ ...task("a"), arguments: { [Symbol("s")]: 1 } }] },
      "expected plain JSON data at dag.tasks[0].arguments, found an object with symbol-keyed properties",
    ],
    [
      "a circular reference",
      { tasks: [{ ...task("a"), arguments: circular }] },
      "expected plain JSON data at dag.tasks[0].arguments.self, found a circular reference",
    ],
  ];
  for (const [label, dag, reason] of cases) {
    await t.step(label, () => {
      assert.throws(() => copyWorkflowDag(dag, "save workflow state"), {
        name: "TypeError",
        message: `Cannot save workflow state: ${reason}`,
      });
    });
  }
});

test("copyWorkflowDag() accepts a value shared by two fields (not a cycle)", () => {
  const shared = { path: "x" };
  const dag = { tasks: [{ ...task("a"), arguments: { one: shared, two: shared } }] };
  assert.deepEqual(copyWorkflowDag(dag, "save workflow state"), dag);
});
