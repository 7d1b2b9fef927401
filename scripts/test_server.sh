#!/usr/bin/env bash
# The journeys and the migration tests on a PostgreSQL server with pgvector: the harness gives each test
# a database of its own on $PML_TEST_DATABASE_URL (see README, "The fixtures on a PostgreSQL server").
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${PML_TEST_DATABASE_URL:-}" ]; then
  echo "error: set PML_TEST_DATABASE_URL=postgres://user:password@host:port/database (a server with pgvector)" >&2
  exit 2
fi
exec node_modules/.bin/deno test --allow-read --allow-write --allow-env --allow-run --allow-net --allow-sys \
  e2e/0*_test.ts unit/db/migrate/migrator_test.ts unit/db/schema/migrations_test.ts unit/db/schema/migrations/
