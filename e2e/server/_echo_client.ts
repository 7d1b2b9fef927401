/**
 * Test support: a client process for a served database (`Deno.args[0]` is its URL) that sends pipelined
 * parameterised queries and checks every answer; exits 0 when all came back right.
 *
 * @module
 */
import { openPostgres } from "../../src/db/client/postgres_client.ts";
import { HANG_MS } from "./child_process.ts";

// A served database answers a new connection only between other clients' transactions: a generous
// deadline, so that a busy machine is not mistaken for a refusal.
const db = await openPostgres(Deno.args[0]!, { connectTimeoutMs: HANG_MS });
const label = Deno.args[1] ?? String(Deno.pid);
try {
  for (let i = 0; i < 60; i += 1) {
    const sent = [0, 1, 2, 3, 4, 5].map((k) => `${label}:${i}:${k}`);
    const echoes = await Promise.all(
      sent.map((text) => db.queryOne<{ echo: string }>("SELECT $1::text AS echo", [text])),
    );
    const got = echoes.map((row) => row?.echo);
    if (JSON.stringify(got) !== JSON.stringify(sent)) {
      throw new Error(`sent ${sent.join(",")} got ${got.join(",")}`);
    }
  }
} finally {
  await db.close();
}
