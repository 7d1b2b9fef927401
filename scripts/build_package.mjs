#!/usr/bin/env node
/**
 * Builds the npm package into dist/: ESM JavaScript and .d.ts for ".", "./fixtures" (and its parts
 * "./fixtures/db", "./fixtures/kv", "./fixtures/mcp") and "./legacy" (tsc with tsconfig.build.json), the
 * golden schema the fixtures read, a package.json of its own (exports, types, bin, engines, the runtime
 * dependencies only) and the README. `npm pack ./dist` packs it.
 *
 * Run: `npm run build` (Node 20; no Deno needed).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = join(root, "dist");
rmSync(dist, { recursive: true, force: true });

const tsc = spawnSync(join(root, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.build.json"], {
  cwd: root,
  stdio: "inherit",
});
if (tsc.status !== 0) {
  console.error("error: tsc failed; nothing was packaged");
  process.exit(1);
}

copyFileSync(
  join(root, "fixtures", "golden_schema.txt"),
  join(dist, "fixtures", "golden_schema.txt"),
);
copyFileSync(join(root, "README.md"), join(dist, "README.md"));
chmodSync(join(dist, "src", "cli", "node_main.js"), 0o755);

const workspace = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const manifest = {
  name: workspace.name,
  version: workspace.version,
  description: workspace.description,
  license: workspace.license,
  type: "module",
  exports: {
    ".": { types: "./mod.d.ts", default: "./mod.js" },
    "./fixtures": { types: "./fixtures/mod.d.ts", default: "./fixtures/mod.js" },
    "./fixtures/db": { types: "./fixtures/db.d.ts", default: "./fixtures/db.js" },
    "./fixtures/kv": { types: "./fixtures/kv.d.ts", default: "./fixtures/kv.js" },
    "./fixtures/mcp": { types: "./fixtures/mcp.d.ts", default: "./fixtures/mcp.js" },
    "./legacy": { types: "./legacy.d.ts", default: "./legacy.js" },
  },
  types: "./mod.d.ts",
  bin: { "pml-store": "./src/cli/node_main.js" },
  engines: { node: ">=20" },
  dependencies: workspace.dependencies,
};
writeFileSync(join(dist, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`built ${manifest.name}@${manifest.version} into dist/ (npm pack ./dist to pack it)`);
