// The README is the contract: its usage block is the CLI's, and it stays short enough to read.
import assert from "node:assert/strict";
import { USAGE } from "../src/cli/run_cli.ts";

const README = await Deno.readTextFile(new URL("../README.md", import.meta.url));

Deno.test("the README's command-line block is the CLI's USAGE, word for word", () => {
  const section = README.split("\n## Command line\n")[1];
  assert.ok(section !== undefined, "README.md has no '## Command line' section");
  const block = /^```\n([\s\S]*?)\n```$/m.exec(section)?.[1];
  assert.equal(block, USAGE);
});

Deno.test("the README holds at most 300 lines and the two quick-start commands CI runs", async () => {
  assert.ok(README.split("\n").length <= 300, `README.md has ${README.split("\n").length} lines`);
  const ci = await Deno.readTextFile(new URL("../.ci/run", import.meta.url));
  for (const command of ["npm ci", "npx deno task migrate", "npx deno task test"]) {
    assert.ok(README.includes(command), `README.md lacks '${command}'`);
    assert.ok(ci.includes(command), `.ci/run does not run '${command}'`);
  }
});
