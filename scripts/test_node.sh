#!/usr/bin/env bash
# The Node side of the suite: build and pack the npm package, run the library's unit suite under
# `node --test` on the built output, then install the packed tarball into examples/node-consumer and run
# its `node --test` suite. Each `node --test` run ends with "# pass N" and "# fail M" lines.
set -euo pipefail
cd "$(dirname "$0")/.."

node scripts/build_package.mjs
rm -rf build/pack && mkdir -p build/pack
(cd build/pack && npm pack ../../dist --silent >/dev/null)

echo "== the library's unit suite under Node (built output)"
rm -rf build/node-test
node_modules/.bin/tsc -p tsconfig.node-test.json
cp fixtures/golden_schema.txt build/node-test/fixtures/
status=0
(cd build/node-test && node --test $(find unit -name '*_test.js' | sort)) || status=1

echo "== the data-directory lock under Node, against Deno"
PML_NODE_BUILD=build/node-test node --test unit/db/embedded/data_directory_lock_under_node.mjs || status=1

echo "== examples/node-consumer: the packed package, installed from its tarball"
(
  cd examples/node-consumer
  rm -rf node_modules
  npm install --no-package-lock --no-audit --no-fund --silent
  node --test test/
) || status=1
exit "$status"
