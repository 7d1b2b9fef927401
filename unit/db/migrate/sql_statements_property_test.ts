// Property-based tests of the SQL statement splitter and of the transaction-control check built on it.
// fast-check runs each property with a fixed seed (SEED, below), so a failure reproduces on every run;
// to explore other inputs locally, change the seed, and paste a failure's reported seed and path here.
import assert from "node:assert/strict";
import fc from "fast-check";
import { splitSqlStatements } from "../../../src/db/migrate/sql_statements.ts";
import { defineMigrations } from "../../../src/db/migrate/migration_registry.ts";

const SEED = 20_251_207;
const RUNS = { seed: SEED, numRuns: 1000 };

const TRANSACTION_WORDS = ["BEGIN", "COMMIT", "ROLLBACK", "END", "ABORT", "SAVEPOINT", "RELEASE"];

/** Mixes the case of a keyword, as SQL does not care. */
const anyCase = (word: string) =>
  fc.array(fc.boolean(), { minLength: word.length, maxLength: word.length }).map((upper) =>
    Array.from(word, (char, i) => upper[i] ? char.toUpperCase() : char.toLowerCase()).join("")
  );

/** Text made of `pieces`, each a constant or a generated character from `alphabet`. */
const textOf = (alphabet: string, pieces: string[] = [], maxLength = 12) =>
  fc.array(fc.oneof(fc.constantFrom(...alphabet), fc.constantFrom(...pieces, ...alphabet)), {
    maxLength,
  }).map((parts) => parts.join(""));

const word = fc.constantFrom(
  "x",
  "t1",
  "a_b",
  "id",
  "SELECT",
  "FROM",
  "1",
  "42",
  ...TRANSACTION_WORDS,
)
  .chain((w) => anyCase(w));
const punctuation = fc.constantFrom("(", ")", ",", "=", "::", "*", "+", "[", "]", "$1", "a$b");
/** `'…'`: semicolons, doubled quotes, a backslash that escapes nothing in a standard string. */
const standardString = textOf('ab ;-/*$"\\\n', ["''", "--", "/*", "$$", "COMMIT;"]).map((text) =>
  `'${text}'`
);
/** `E'…'`: a quote escaped with a backslash or doubled, backslashes escaped. */
const escapeString = fc.tuple(
  fc.constantFrom("E", "e"),
  textOf('ab ;"$', ["\\'", "''", "\\\\", "\\n", "\\';"]),
).map(([prefix, text]) => `${prefix}'${text}'`);
const quotedIdentifier = textOf("ab ;'$-/*", ['""', "ROLLBACK;"]).map((text) => `"${text}"`);
/** `$tag$…$tag$` whose body holds anything but its own closing tag. */
const dollarQuote = fc.tuple(
  fc.constantFrom("", "a", "body", "x_1"),
  textOf("ab ;'\"-/*\n$", ["$$", "$a$", "END;", "COMMIT;", "--", "/*"], 16),
).filter(([tag, body]) => (body + `$${tag}$`).indexOf(`$${tag}$`) === body.length)
  .map(([tag, body]) => `$${tag}$${body}$${tag}$`);
/** `/* … *\/`, nesting other block comments. */
const { blockComment } = fc.letrec((tie) => ({
  blockComment: fc.array(
    fc.oneof(
      { depthSize: "small" },
      textOf("ab ;'\"$-\n", ["COMMIT;", "$$"]),
      tie("blockComment") as fc.Arbitrary<string>,
    ),
    { maxLength: 3 },
  ).map((parts) => `/*${parts.join(" ")}*/`),
}));
const lineComment = textOf("ab ;'\"$/*", ["ROLLBACK;", "$$", "*/"]).map((text) => `--${text}\n`);

/** A statement: a first word, then words, literals, quotes and comments, separated by whitespace. */
const statement = fc.tuple(
  fc.constantFrom("SELECT", "insert", "CREATE", "DO", "update", "x"),
  fc.array(
    fc.oneof(
      word,
      punctuation,
      standardString,
      escapeString,
      quotedIdentifier,
      dollarQuote,
      blockComment,
      lineComment,
    ),
    { maxLength: 8 },
  ),
  fc.array(fc.constantFrom(" ", "\n", "\t", "  "), { minLength: 8, maxLength: 8 }),
).map(([first, rest, spaces]) =>
  [first, ...rest].reduce((text, token, i) => `${text}${spaces[i % 8]}${token}`)
);
/** What may stand between statements besides `;`: whitespace and comments, which split nothing. */
const gap = fc.array(fc.oneof(fc.constantFrom(" ", "\n", "\t"), blockComment, lineComment), {
  maxLength: 3,
}).map((parts) => parts.join(" "));

Deno.test("splitSqlStatements() returns the statements that ';' joined, each trimmed", () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(statement, gap), { maxLength: 6 }), gap, (parts, tail) => {
      const sql = parts.map(([text, before]) => `${before};${text}`).join(";") + `;${tail}`;
      assert.deepEqual(splitSqlStatements(sql), parts.map(([text]) => text.trim()));
    }),
    RUNS,
  );
});

/** `up` SQL text in a one-migration registry: whether `defineMigrations` refuses it. */
function refusedAsTransactionControl(up: string): boolean {
  try {
    defineMigrations([{ version: 1, name: "probe", up, down: "" }]);
    return false;
  } catch (error) {
    assert.equal((error as { code?: string }).code, "MIGRATION_REGISTRY_INVALID");
    assert.match((error as Error).message, /has the transaction-control statement '/);
    return true;
  }
}

/** A real transaction-control statement, however spelled, with an optional leading comment. */
const control = fc.tuple(
  fc.oneof(
    fc.constantFrom(...TRANSACTION_WORDS).chain(anyCase),
    fc.tuple(anyCase("start"), fc.oneof(fc.constant(" "), blockComment), anyCase("transaction"))
      .map((words) => words.join(" ")),
    fc.tuple(anyCase("prepare"), anyCase("transaction")).map((words) => `${words.join(" ")} 'p'`),
  ),
  fc.oneof(fc.constant(""), blockComment, lineComment),
  fc.constantFrom("", " work", " s1", " AND CHAIN"),
).map(([words, before, after]) => `${before} ${words}${after}`);

Deno.test("defineMigrations() finds a real transaction-control statement, never a hidden one", () => {
  fc.assert(
    fc.property(fc.array(statement, { maxLength: 5 }), control, fc.nat(), (hidden, real, at) => {
      assert.equal(refusedAsTransactionControl(hidden.join(";\n")), false, "only hidden words");
      const position = at % (hidden.length + 1);
      const withReal = [...hidden.slice(0, position), real, ...hidden.slice(position)];
      assert.equal(refusedAsTransactionControl(withReal.join(";\n")), true, "a real statement");
    }),
    RUNS,
  );
});
