/** DAG builders shared by the cache tests. */

import type { WorkflowDag } from "../../src/cache/workflow_dag.ts";

/** A chain of `count` tasks, each depending on the previous one; `tag` makes DAGs distinguishable. */
export function chainDag(count: number, tag = "v1"): WorkflowDag {
  return {
    tasks: Array.from({ length: count }, (_, index) => ({
      id: `task-${index}`,
      tool: "filesystem:read_file",
      arguments: { path: `/data/${tag}/file-${index}.txt`, options: { encoding: "utf-8" } },
      dependsOn: index === 0 ? [] : [`task-${index - 1}`],
    })),
  };
}

/** A one-task DAG whose argument `payload` is `size` ASCII characters. */
export function paddedDag(size: number, fill = "x"): WorkflowDag {
  return {
    tasks: [{ id: "t", tool: "tool", arguments: { payload: fill.repeat(size) }, dependsOn: [] }],
  };
}
