// Property-based tests of the workflow DAG validator. fast-check runs each property with a fixed seed
// (SEED, below), so a failure reproduces on every run; to explore other inputs locally, change the seed,
// and paste a failure's reported seed and path here.
import assert from "node:assert/strict";
import fc from "fast-check";
import { copyWorkflowDag, type WorkflowDag } from "../../src/cache/workflow_dag.ts";

const SEED = 20_251_207;
// endOnFailure: the chained generators shrink slowly; the printed seed and path reproduce a failure.
const RUNS = { seed: SEED, numRuns: 500, endOnFailure: true };
const ACTION = "save workflow state";

/** JSON without `-0`, which the validator stores as `0`. */
const json = fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.parse(JSON.stringify(value)));

/** An object key, sometimes one that `Object.prototype` also has. */
const key = fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom("__proto__", "constructor"));

/**
 * A valid DAG: unique ids; each task depends on tasks earlier in a hidden topological order, so there
 * is no cycle; the tasks are then shuffled, as a DAG lists them in any order.
 */
const validDag = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), {
  minLength: 1,
  maxLength: 12,
}).chain((ids) =>
  fc.tuple(
    fc.tuple(...ids.map((id, index) =>
      fc.record({
        id: fc.constant(id),
        tool: fc.constantFrom("fs:read", "text:summarize", "http:get"),
        arguments: fc.dictionary(key, json, {
          maxKeys: 3,
          noNullPrototype: true,
        }),
        dependsOn: fc.subarray(ids.slice(0, index)),
      }, { noNullPrototype: true })
    )),
    fc.dictionary(fc.constantFrom("name", "version", "notes"), json, {
      maxKeys: 2,
      noNullPrototype: true,
    }),
  ).chain(([tasks, fields]) =>
    fc.shuffledSubarray(tasks, { minLength: tasks.length }).map((shuffled) =>
      ({ ...fields, tasks: shuffled }) as WorkflowDag
    )
  )
);

/** Ids reachable from `from` through `dependsOn`, `from` included. */
function dependencies(dag: WorkflowDag, from: string): string[] {
  const byId = new Map(dag.tasks.map((task) => [task.id, task]));
  const seen = new Set<string>([from]);
  for (const id of seen) for (const next of byId.get(id)!.dependsOn) seen.add(next);
  return [...seen];
}

/** The `TypeError` message `copyWorkflowDag` throws for `dag`. */
function refusal(dag: WorkflowDag): string {
  try {
    copyWorkflowDag(structuredClone(dag), ACTION);
  } catch (error) {
    assert.ok(error instanceof TypeError, `expected a TypeError, got ${error}`);
    return error.message;
  }
  assert.fail("the DAG was accepted");
}

Deno.test("copyWorkflowDag() accepts a valid DAG and returns an equal copy", () => {
  fc.assert(
    fc.property(validDag, (dag) => {
      const input = structuredClone(dag);
      const copy = copyWorkflowDag(input, ACTION);
      assert.deepEqual(copy, dag);
      assert.notEqual(copy, input);
      assert.deepEqual(input, dag, "the input is left as it was");
    }),
    RUNS,
  );
});

Deno.test("copyWorkflowDag() refuses a back-edge, naming the tasks on a cycle", () => {
  fc.assert(
    fc.property(validDag, fc.nat(), fc.nat(), (dag, pickTask, pickTarget) => {
      // `task` depends (transitively, or is) `target`; making `target` depend on `task` closes a cycle.
      const task = dag.tasks[pickTask % dag.tasks.length]!;
      const reachable = dependencies(dag, task.id);
      const target = dag.tasks.find((t) => t.id === reachable[pickTarget % reachable.length])!;
      target.dependsOn.push(task.id);
      const message = refusal(dag);
      const prefix = `Cannot ${ACTION}: expected dependsOn to form no cycle, found `;
      assert.ok(message.startsWith(prefix), message);
      const cycle = message.slice(prefix.length).split(" → ").map((id) => JSON.parse(id) as string);
      assert.equal(cycle.at(0), cycle.at(-1), `${message} starts and ends with one task`);
      const byId = new Map(dag.tasks.map((t) => [t.id, t]));
      for (let i = 0; i + 1 < cycle.length; i++) {
        assert.ok(byId.get(cycle[i]!)!.dependsOn.includes(cycle[i + 1]!), `${message}: an edge`);
      }
    }),
    RUNS,
  );
});

Deno.test("copyWorkflowDag() refuses a duplicate id, naming both tasks", () => {
  fc.assert(
    fc.property(
      validDag.filter((dag) => dag.tasks.length >= 2),
      fc.nat(),
      fc.nat(),
      (dag, pickFrom, pickTo) => {
        const from = pickFrom % dag.tasks.length;
        const to = (from + 1 + (pickTo % (dag.tasks.length - 1))) % dag.tasks.length;
        const id = dag.tasks[from]!.id;
        dag.tasks[to]!.id = id;
        const [first, second] = from < to ? [from, to] : [to, from];
        assert.equal(
          refusal(dag),
          `Cannot ${ACTION}: expected unique task ids, found ${
            JSON.stringify(id)
          } at dag.tasks[${first}] and dag.tasks[${second}]`,
        );
      },
    ),
    RUNS,
  );
});

Deno.test("copyWorkflowDag() refuses a dependency on a missing task, naming its path", () => {
  fc.assert(
    fc.property(validDag, fc.nat(), fc.nat(), fc.string(), (dag, pickTask, pickAt, ghost) => {
      fc.pre(!dag.tasks.some((task) => task.id === ghost));
      const index = pickTask % dag.tasks.length;
      const { dependsOn } = dag.tasks[index]!;
      const at = pickAt % (dependsOn.length + 1);
      dependsOn.splice(at, 0, ghost);
      assert.equal(
        refusal(dag),
        `Cannot ${ACTION}: expected dag.tasks[${index}].dependsOn[${at}] to name a task of the DAG, found ${
          JSON.stringify(ghost)
        }`,
      );
    }),
    RUNS,
  );
});
