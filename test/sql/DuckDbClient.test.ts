/**
 * The `effect/sql` driver for DuckDB on real DuckDB instances: value mapping both ways, `sql.in`,
 * identifiers, transactions (rollback on failure and interruption, nesting refused), the writer permit
 * under concurrency, a 1M-row stream in bounded memory, errors, the raw-connection escape hatches and the
 * file released when the layer closes.
 */
import { spawn, spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import * as path from "node:path"
import * as v8 from "node:v8"
import * as vm from "node:vm"
import { dateValue, decimalValue } from "@duckdb/node-api"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Layer, Schema, Stream } from "effect"
import { SqlClient, type SqlError } from "effect/sql"
import { DuckDbClient, type DuckDbRawResult } from "../../src/sql/DuckDbClient.ts"
import { tempDataDir } from "../lake/helpers.ts"

const memory = DuckDbClient.layer({ threads: 2 })

const DAY_MS = 86_400_000

const failure = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) return assert.fail("expected a failure")
  const error = exit.cause.reasons.find((r) => r._tag === "Fail")
  return error?._tag === "Fail" ? error.error : assert.fail(`expected a typed failure, got ${String(exit.cause)}`)
}

const countRows = Effect.fnUntraced(function* (table: string) {
  const sql = yield* SqlClient.SqlClient
  const [row] = yield* sql<{ n: number }>`SELECT count(*)::INTEGER AS n FROM ${sql(table)}`
  return row?.n
})

describe("DuckDbClient values", () => {
  it.effect("every type the marts use round-trips through a bound parameter and a typed column", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* sql`CREATE TABLE v (
        s VARCHAR, b BOOLEAN, i INTEGER, big BIGINT, d DOUBLE, dec DECIMAL(18, 2), day DATE,
        ts TIMESTAMP, tz TIMESTAMPTZ, ints INTEGER[], words VARCHAR[], counts MAP(VARCHAR, BIGINT),
        point STRUCT(x DOUBLE, label VARCHAR, tags VARCHAR[])
      )`
      const instant = new Date(Date.UTC(2026, 1, 3, 10, 4, 5, 678))
      yield* sql`INSERT INTO v VALUES (
        ${'it\'s "quoted" ✓'}, ${true}, ${-2_147_483_648}, ${9_007_199_254_740_991n}, ${0.1}, ${"12345.67"},
        ${"2026-02-03"}, ${instant}, ${instant}, ${[1, -2, 3]}, ${["a", "b"]},
        ${new Map([
          ["x", 1],
          ["y", 3_000_000_000]
        ])}, ${{ x: 1.5, label: "p", tags: ["t"] }}
      )`
      // Numbers in, and DuckDB's own value objects for exact DECIMAL and DATE.
      yield* sql`INSERT INTO v (big, dec, day) VALUES (${42}, ${decimalValue(-123n, 18, 2)}, ${dateValue(0)})`
      yield* sql`INSERT INTO v (day, ts) VALUES (${new Date(Date.UTC(2026, 1, 3, 23, 59))}::DATE, ${new Date(0)})`
      yield* sql`INSERT INTO v VALUES (${null}, ${null}, ${null}, ${null}, ${null}, ${null}, ${null}, ${null},
        ${null}, ${[]}, ${null}, ${null}, ${null})`
      const rows = yield* sql`SELECT * FROM v ORDER BY big NULLS LAST, day NULLS LAST`
      assert.deepStrictEqual(rows[0], {
        s: null,
        b: null,
        i: null,
        big: 42,
        d: null,
        dec: -1.23,
        day: new Date(0),
        ts: null,
        tz: null,
        ints: null,
        words: null,
        counts: null,
        point: null
      })
      assert.deepStrictEqual(rows[1], {
        s: 'it\'s "quoted" ✓',
        b: true,
        i: -2_147_483_648,
        big: 9_007_199_254_740_991,
        d: 0.1,
        dec: 12345.67,
        day: new Date(Date.UTC(2026, 1, 3)),
        ts: instant,
        tz: instant,
        ints: [1, -2, 3],
        words: ["a", "b"],
        counts: { x: 1, y: 3_000_000_000 },
        point: { x: 1.5, label: "p", tags: ["t"] }
      })
      // A Date cast to DATE is its UTC day; TIMESTAMP keeps the UTC wall time.
      assert.deepStrictEqual([rows[2]?.day, rows[2]?.ts], [new Date(Date.UTC(2026, 1, 3)), new Date(0)])
      // The empty list binds as NULL[] and lands as an empty INTEGER[]; everything else NULL.
      assert.deepStrictEqual(rows[3]?.ints, [])
      assert.strictEqual(rows[3]?.s, null)
      const [types] = yield* sql`SELECT typeof(${1}) AS small, typeof(${2 ** 40}) AS wide, typeof(${1.5}) AS frac,
        typeof(${1n}) AS big, typeof(${2n ** 70n}) AS huge, typeof(${new Date(0)}) AS date, typeof(${[1, 2 ** 40, 0.5]}) AS list,
        typeof(${new Uint8Array([1, 2])}) AS blob, ${new Uint8Array([1, 2])} AS bytes`
      assert.deepStrictEqual(types, {
        small: "INTEGER",
        wide: "BIGINT",
        frac: "DOUBLE",
        big: "BIGINT",
        huge: "HUGEINT",
        date: "TIMESTAMP WITH TIME ZONE",
        list: "DOUBLE[]",
        blob: "BLOB",
        bytes: new Uint8Array([1, 2])
      })
    }).pipe(Effect.provide(memory))
  )

  it.effect.prop(
    "strings, integers, doubles, booleans, instants and integer lists come back as they went in",
    {
      text: Schema.String,
      int: Schema.Int.check(Schema.isBetween({ minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER })),
      double: Schema.Finite,
      flag: Schema.Boolean,
      ms: Schema.Int.check(Schema.isBetween({ minimum: -30_000 * DAY_MS, maximum: 100_000 * DAY_MS })),
      list: Schema.Array(Schema.Int.check(Schema.isBetween({ minimum: -(2 ** 31), maximum: 2 ** 31 - 1 })))
    },
    ({ text, int, double, flag, ms, list }) =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const [row] = yield* sql`SELECT ${text} AS text, ${int}::BIGINT AS int, ${double} AS double, ${flag} AS flag,
          ${new Date(ms)} AS instant, ${list}::INTEGER[] AS list`
        // VARCHAR is UTF-8: a lone surrogate comes back as U+FFFD. -0 comes back as 0.
        assert.deepStrictEqual(row, {
          text: text.toWellFormed(),
          int,
          double: double === 0 ? 0 : double,
          flag,
          instant: new Date(ms),
          list
        })
      }).pipe(Effect.provide(memory)),
    { arbitrary: { runs: 30 } }
  )

  it.effect("BIGINT reads as a number; past 2^53 it fails naming the column; SafeIntegers reads bigint", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const query = sql`SELECT 1::BIGINT AS small, 9007199254740993::BIGINT AS large`
      const error = failure(yield* Effect.exit(query))
      assert.include(error.message, 'column "large" is outside Number\'s safe integer range')
      const [row] = yield* query.pipe(Effect.provideService(SqlClient.SafeIntegers, true))
      assert.deepStrictEqual(row, { small: 1n, large: 9_007_199_254_740_993n })
    }).pipe(Effect.provide(memory))
  )

  it.effect("a parameter that cannot be bound fails with a SqlError naming it", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const mixed = failure(yield* Effect.exit(sql`SELECT ${[1, "two"]} AS l`))
      assert.include(mixed.message, "parameter $1: mixes INTEGER and VARCHAR")
      const fn = failure(yield* Effect.exit(sql`SELECT ${1}, ${() => 1} AS f`))
      assert.include(fn.message, "parameter $2: a function cannot be bound")
      const bad = failure(yield* Effect.exit(sql`SELECT ${new Date(Number.NaN)} AS d`))
      assert.include(bad.message, "parameter $1: an invalid Date")
    }).pipe(Effect.provide(memory))
  )
})

describe("DuckDbClient statements", () => {
  it.effect("sql.in binds each value; an empty list matches nothing (NOT IN: everything)", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* sql`CREATE TABLE t AS SELECT * FROM (VALUES (1, 'a'), (2, 'b'), (3, 'c')) v(id, name)`
      const names = (rows: ReadonlyArray<{ readonly name: string }>) => rows.map((r) => r.name)
      assert.deepStrictEqual(
        names(yield* sql<{ name: string }>`SELECT name FROM t WHERE id IN ${sql.in([1, 3])} ORDER BY id`),
        ["a", "c"]
      )
      assert.deepStrictEqual(names(yield* sql<{ name: string }>`SELECT name FROM t WHERE ${sql.in("name", ["b"])}`), [
        "b"
      ])
      assert.deepStrictEqual(yield* sql`SELECT name FROM t WHERE id IN ${sql.in([])}`, [])
      assert.deepStrictEqual(yield* sql`SELECT name FROM t WHERE ${sql.in("id", [])}`, [])
      assert.lengthOf(yield* sql`SELECT name FROM t WHERE id NOT IN ${sql.in([])}`, 3)
      // A value that looks like SQL stays a value.
      assert.deepStrictEqual(yield* sql`SELECT name FROM t WHERE name IN ${sql.in(["a' OR '1'='1"])}`, [])
    }).pipe(Effect.provide(memory))
  )

  it.effect("identifiers: embedded quotes are doubled, dots qualify, sql.insert and sql.update quote columns", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const odd = 'say "hi"; DROP TABLE x'
      yield* sql`CREATE TABLE ${sql("main.odd table")} (${sql(odd)} VARCHAR, id INTEGER)`
      yield* sql`INSERT INTO ${sql("odd table")} ${sql.insert([
        { [odd]: "one", id: 1 },
        { [odd]: "two", id: 2 }
      ])}`
      yield* sql`UPDATE ${sql("odd table")} SET ${sql.update({ [odd]: "TWO" })} WHERE id = ${2}`
      const rows = yield* sql`SELECT ${sql(odd)}, id FROM ${sql("main.odd table")} ORDER BY id`
      assert.deepStrictEqual(rows, [
        { [odd]: "one", id: 1 },
        { [odd]: "TWO", id: 2 }
      ])
      const [compiled] = sql`SELECT ${sql(odd)} FROM ${sql("main.t")} WHERE id = ${1}`.compile()
      assert.strictEqual(compiled, 'SELECT "say ""hi""; DROP TABLE x" FROM "main"."t" WHERE id = $1')
      // sql.updateValues: PostgreSQL's UPDATE … FROM (VALUES …) AS alias(cols), which DuckDB runs.
      const updates = sql`UPDATE ${sql("odd table")} SET ${sql(odd)} = u.label FROM ${sql.updateValues(
        [
          { id: 1, label: "uno" },
          { id: 2, label: "dos" }
        ],
        "u"
      )} WHERE ${sql("odd table")}.id = u.id`
      assert.strictEqual(
        updates.compile()[0],
        'UPDATE "odd table" SET "say ""hi""; DROP TABLE x" = u.label FROM (VALUES ($1,$2),($3,$4)) AS "u"("id","label") WHERE "odd table".id = u.id'
      )
      yield* updates
      assert.deepStrictEqual(yield* sql`SELECT ${sql(odd)} AS v FROM ${sql("odd table")} ORDER BY id`, [
        { v: "uno" },
        { v: "dos" }
      ])
    }).pipe(Effect.provide(memory))
  )

  it.effect("errors carry the operation and the statement, never a bound value; constraint errors are classified", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const secret = "s3cret-token-value"
      const conversion = failure(yield* Effect.exit(sql`SELECT CAST(${secret} AS INTEGER) AS n`))
      assert.include(conversion.message, "Conversion Error")
      assert.include(conversion.message, "[statement: SELECT CAST($1 AS INTEGER) AS n]")
      assert.notInclude(conversion.message, secret)
      assert.notInclude(String(conversion.cause.cause), secret)
      yield* sql`CREATE TABLE k (id INTEGER PRIMARY KEY, v VARCHAR NOT NULL)`
      yield* sql`INSERT INTO k VALUES (1, 'a')`
      const duplicate = failure(yield* Effect.exit(sql`INSERT INTO k VALUES (${1}, ${"b"})`))
      assert.strictEqual(duplicate.reason._tag, "UniqueViolation")
      const missing = failure(yield* Effect.exit(sql`INSERT INTO k VALUES (${2}, ${null})`))
      assert.strictEqual(missing.reason._tag, "ConstraintError")
      const syntax = failure(yield* Effect.exit(sql`SELEC 1`))
      assert.strictEqual(syntax.reason._tag, "SqlSyntaxError")
      assert.include(syntax.message, "execute: Parser Error")
    }).pipe(Effect.provide(memory))
  )

  it.effect("raw yields rowsChanged; a write without RETURNING yields no rows, with RETURNING its rows", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* sql`CREATE TABLE r (id INTEGER)`
      const raw = yield* sql`INSERT INTO r SELECT * FROM range(5)`.raw
      assert.deepStrictEqual(raw, { rowsChanged: 5, rows: [] } satisfies DuckDbRawResult)
      assert.deepStrictEqual(yield* sql`DELETE FROM r WHERE id < 2`, [])
      assert.deepStrictEqual(yield* sql`DELETE FROM r WHERE id = 4 RETURNING id`, [{ id: 4 }])
      assert.deepStrictEqual(yield* sql`SELECT id FROM r ORDER BY id`.values, [[2], [3]])
    }).pipe(Effect.provide(memory))
  )
})

describe("DuckDbClient transactions", () => {
  const setup = Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE TABLE acct (id INTEGER PRIMARY KEY, balance INTEGER)`
    yield* sql`INSERT INTO acct VALUES (1, 100), (2, 0)`
    return sql
  })

  it.effect("a failure inside withTransaction rolls back every statement: the table is unchanged", () =>
    Effect.gen(function* () {
      const sql = yield* setup
      const transfer = sql.withTransaction(
        Effect.gen(function* () {
          yield* sql`UPDATE acct SET balance = balance - 60 WHERE id = 1`
          yield* sql`UPDATE acct SET balance = balance + 60 WHERE id = 2`
          return yield* Effect.fail("refused" as const)
        })
      )
      assert.strictEqual(failure(yield* Effect.exit(transfer)), "refused")
      // A statement error rolls back the statements before it too.
      const violating = sql.withTransaction(
        Effect.andThen(sql`UPDATE acct SET balance = 0 WHERE id = 1`, sql`INSERT INTO acct VALUES (2, 5)`)
      )
      assert.strictEqual(failure(yield* Effect.exit(violating)).reason._tag, "UniqueViolation")
      assert.deepStrictEqual(yield* sql`SELECT id, balance FROM acct ORDER BY id`, [
        { id: 1, balance: 100 },
        { id: 2, balance: 0 }
      ])
      yield* sql.withTransaction(sql`UPDATE acct SET balance = 1 WHERE id = 2`)
      assert.deepStrictEqual(yield* sql`SELECT balance FROM acct WHERE id = 2`, [{ balance: 1 }])
    }).pipe(Effect.provide(memory))
  )

  it.live("an interrupted transaction stops its running statement, rolls back and frees the writer", () =>
    Effect.gen(function* () {
      const sql = yield* setup
      const started = yield* Deferred.make<void>()
      const fiber = yield* sql
        .withTransaction(
          Effect.gen(function* () {
            yield* sql`UPDATE acct SET balance = 0 WHERE id = 1`
            yield* Deferred.succeed(started, undefined)
            // Runs for minutes unless interrupted.
            yield* sql`SELECT count(*) FROM range(100000000000) a`
          })
        )
        .pipe(Effect.forkChild)
      yield* Deferred.await(started)
      yield* Effect.sleep(100)
      yield* Fiber.interrupt(fiber)
      assert.deepStrictEqual(yield* sql`SELECT balance FROM acct WHERE id = 1`, [{ balance: 100 }])
      // The writer permit is free again: a write and a transaction go through.
      yield* sql`UPDATE acct SET balance = 7 WHERE id = 2`
      yield* sql.withTransaction(sql`UPDATE acct SET balance = 8 WHERE id = 1`)
      assert.deepStrictEqual(yield* sql`SELECT balance FROM acct ORDER BY id`, [{ balance: 8 }, { balance: 7 }])
    }).pipe(Effect.provide(memory))
  )

  it.effect(
    "a nested withTransaction is refused (DuckDB has no SAVEPOINT): the outer rolls back, or commits if it handles it",
    () =>
      Effect.gen(function* () {
        const sql = yield* setup
        const inner = sql.withTransaction(sql`UPDATE acct SET balance = 1 WHERE id = 2`)
        const unhandled = yield* Effect.exit(
          sql.withTransaction(Effect.andThen(sql`UPDATE acct SET balance = 50 WHERE id = 1`, inner))
        )
        const error: SqlError.SqlError = failure(unhandled)
        assert.include(error.message, "DuckDB has no SAVEPOINT")
        assert.deepStrictEqual(yield* sql`SELECT balance FROM acct ORDER BY id`, [{ balance: 100 }, { balance: 0 }])
        yield* sql.withTransaction(Effect.andThen(sql`UPDATE acct SET balance = 50 WHERE id = 1`, Effect.ignore(inner)))
        assert.deepStrictEqual(yield* sql`SELECT balance FROM acct ORDER BY id`, [{ balance: 50 }, { balance: 0 }])
      }).pipe(Effect.provide(memory))
  )

  it.effect("withWriter inside a transaction uses its connection: an appender's rows commit or roll back with it", () =>
    Effect.gen(function* () {
      const sql = yield* setup
      const duck = yield* DuckDbClient
      const append = (id: number) =>
        duck.withWriter("append", async (connection) => {
          const appender = await connection.createAppender("acct")
          try {
            appender.appendInteger(id)
            appender.appendInteger(id * 10)
            appender.endRow()
            appender.flushSync()
          } finally {
            appender.closeSync()
          }
        })
      yield* Effect.exit(sql.withTransaction(Effect.andThen(append(3), Effect.fail("abort"))))
      assert.strictEqual(yield* countRows("acct"), 2)
      yield* sql.withTransaction(Effect.andThen(append(3), sql`UPDATE acct SET balance = 31 WHERE id = 3`))
      yield* append(4)
      assert.deepStrictEqual(yield* sql`SELECT id, balance FROM acct WHERE id > 2 ORDER BY id`, [
        { id: 3, balance: 31 },
        { id: 4, balance: 40 }
      ])
    }).pipe(Effect.provide(memory))
  )
})

describe("DuckDbClient raw connections", () => {
  it.effect("withConnection writes Parquet with COPY beside the writer; the client reads it back", () =>
    Effect.gen(function* () {
      const dir = yield* tempDataDir
      const file = path.join(dir, "out.parquet")
      const duck = yield* DuckDbClient
      const sql = yield* SqlClient.SqlClient
      yield* duck.withConnection("export", async (connection) => {
        await connection.run("CREATE TEMP TABLE staged AS SELECT i, i * 1.5 AS x FROM range(4) t(i)")
        await connection.run(`COPY (SELECT * FROM staged ORDER BY i) TO '${file}' (FORMAT PARQUET, COMPRESSION ZSTD)`)
      })
      assert.deepStrictEqual(yield* sql`SELECT i, x FROM read_parquet(${file}) ORDER BY i`, [
        { i: 0, x: 0 },
        { i: 1, x: 1.5 },
        { i: 2, x: 3 },
        { i: 3, x: 4.5 }
      ])
      // Temp tables belong to their connection: the next borrower does not see `staged`.
      const missing = failure(yield* Effect.exit(duck.withConnection("peek", (c) => c.run("SELECT * FROM staged"))))
      assert.include(missing.message, "withConnection (peek): Catalog Error")
    }).pipe(Effect.provide(memory))
  )
})

describe("DuckDbClient concurrency", () => {
  it.live(
    "reads run beside an open write transaction and see the last commit; another write waits for the writer",
    () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* sql`CREATE TABLE c (id INTEGER)`
        yield* sql`INSERT INTO c VALUES (1)`
        const inside = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        const order: Array<string> = []
        const transaction = yield* sql
          .withTransaction(
            Effect.gen(function* () {
              yield* sql`INSERT INTO c VALUES (2)`
              yield* Deferred.succeed(inside, undefined)
              yield* Deferred.await(release)
              order.push("commit")
            })
          )
          .pipe(Effect.forkChild)
        yield* Deferred.await(inside)
        const write = yield* sql`INSERT INTO c VALUES (3)`.pipe(
          Effect.tap(() => Effect.sync(() => order.push("write"))),
          Effect.forkChild
        )
        // Ten reads finish while the transaction holds the writer, each seeing only the committed row.
        const reads = yield* Effect.all(
          Array.from({ length: 10 }, () => countRows("c")),
          { concurrency: "unbounded" }
        )
        assert.deepStrictEqual(
          reads,
          Array.from({ length: 10 }, () => 1)
        )
        yield* Effect.sleep(50)
        assert.deepStrictEqual(order, [])
        yield* Deferred.succeed(release, undefined)
        yield* Fiber.join(transaction)
        yield* Fiber.join(write)
        assert.deepStrictEqual(order, ["commit", "write"])
        assert.strictEqual(yield* countRows("c"), 3)
      }).pipe(Effect.provide(memory))
  )

  it.live("concurrent upserts of the same key never conflict", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* sql`CREATE TABLE u (k INTEGER PRIMARY KEY, n INTEGER)`
      yield* Effect.all(
        Array.from({ length: 40 }, (_, i) =>
          i % 2 === 0
            ? sql`INSERT INTO u VALUES (1, 1) ON CONFLICT (k) DO UPDATE SET n = u.n + 1`
            : sql.withTransaction(sql`INSERT INTO u VALUES (1, 1) ON CONFLICT (k) DO UPDATE SET n = u.n + 1`)
        ),
        { concurrency: "unbounded", discard: true }
      )
      assert.deepStrictEqual(yield* sql`SELECT n FROM u`, [{ n: 40 }])
    }).pipe(Effect.provide(memory))
  )
})

/** V8's collector, exposed at run time: the retained heap is what a stream must keep bounded. */
const collect = (): (() => void) => {
  v8.setFlagsFromString("--expose-gc")
  const gc: unknown = vm.runInNewContext("gc")
  return typeof gc === "function" ? () => gc() : assert.fail("gc is not available")
}

const MIB = 1024 * 1024

describe("DuckDbClient streams", () => {
  it.live("a 1,000,000-row stream arrives whole while the process holds far less than the rows' size", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const gc = collect()
      gc()
      const baseline = process.memoryUsage()
      let heap = 0
      let rss = 0
      const total = 1_000_000
      const pad = 300
      const result = yield* sql<{ i: number; label: string }>`SELECT i, repeat('x', ${pad}) || i AS label
        FROM generate_series(1, ${total}) t(i)`.stream.pipe(
        Stream.runFold(
          () => ({ count: 0, sum: 0, labels: 0 }),
          (acc, row) => {
            acc.count += 1
            acc.sum += row.i
            acc.labels += row.label.length
            if (acc.count % 100_000 === 0) {
              gc()
              const now = process.memoryUsage()
              heap = Math.max(heap, now.heapUsed - baseline.heapUsed)
              rss = Math.max(rss, now.rss - baseline.rss)
            }
            return acc
          }
        )
      )
      assert.strictEqual(result.count, total)
      assert.strictEqual(result.sum, (total * (total + 1)) / 2)
      // The padding plus the digits of 1 … 1,000,000.
      assert.strictEqual(result.labels, pad * total + 5_888_896)
      // The rows are ≥ 300 MB of text: held as JS objects or as a materialized DuckDB result they would
      // retain that much heap or resident memory (measured: a materialized result adds ~390 MiB RSS).
      assert.isBelow(heap, 64 * MIB, `retained heap grew by ${(heap / MIB).toFixed(1)} MiB`)
      assert.isBelow(rss, 200 * MIB, `resident memory grew by ${(rss / MIB).toFixed(1)} MiB`)
    }).pipe(Effect.provide(memory))
  )

  it.effect("a stream stopped early releases its connection; a write stream holds the writer until it ends", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const first = yield* sql<{ i: number }>`SELECT i FROM range(1000000) t(i)`.stream.pipe(
        Stream.take(3),
        Stream.runCollect
      )
      assert.deepStrictEqual(
        first.map((r) => r.i),
        [0, 1, 2]
      )
      yield* sql`CREATE TABLE s (i INTEGER)`
      const returned = yield* sql<{ i: number }>`INSERT INTO s SELECT * FROM range(5000) RETURNING i`.stream.pipe(
        Stream.runFold(
          () => 0,
          (n) => n + 1
        )
      )
      assert.strictEqual(returned, 5000)
      assert.strictEqual(yield* countRows("s"), 5000)
    }).pipe(Effect.provide(memory))
  )
})

/** Opens `file` in a fresh Node process and reads `SELECT count(*) FROM f`; the error text when it cannot. */
const readFromAnotherProcess = (file: string): string => {
  const script = `import { DuckDBInstance } from "@duckdb/node-api"
    const db = await DuckDBInstance.create(${JSON.stringify(file)})
    const c = await db.connect()
    const r = await c.runAndReadAll("SELECT count(*)::INTEGER AS n FROM f")
    console.log("rows=" + r.getRowObjectsJS()[0].n)`
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: path.join(import.meta.dirname, "../.."),
    encoding: "utf8"
  })
  return `${child.stdout}${child.stderr}`.trim()
}

describe("DuckDbClient lifecycle", () => {
  it.live("the layer holds the file while open; closing it releases the file to another process and a new layer", () =>
    Effect.gen(function* () {
      const dir = yield* tempDataDir
      const file = path.join(dir, "nested", "warehouse.duckdb")
      const fileLayer = DuckDbClient.layer({ filename: file, threads: 1, memoryLimit: "256MB" })
      yield* Effect.scoped(
        Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          const [settings] = yield* sql`SELECT current_setting('threads')::INTEGER AS threads,
            current_setting('memory_limit') AS memory, current_setting('TimeZone') AS tz`
          assert.deepStrictEqual(settings, { threads: 1, memory: "244.1 MiB", tz: "UTC" })
          yield* sql`CREATE TABLE f AS SELECT * FROM range(3)`
          assert.include(readFromAnotherProcess(file), "Could not set lock on file")
        }).pipe(Effect.provide(Layer.fresh(fileLayer)))
      )
      assert.isTrue(existsSync(file))
      assert.strictEqual(readFromAnotherProcess(file), "rows=3")
      const reopened = yield* countRows("f").pipe(Effect.provide(Layer.fresh(fileLayer)))
      assert.strictEqual(reopened, 3)
    })
  )

  it.live("a file another process holds fails to open with a ConnectionError naming the file", () =>
    Effect.gen(function* () {
      const dir = yield* tempDataDir
      const file = path.join(dir, "held.duckdb")
      const holder = yield* Effect.acquireRelease(
        Effect.sync(() =>
          spawn(
            process.execPath,
            [
              "--input-type=module",
              "-e",
              `import { DuckDBInstance } from "@duckdb/node-api"
               await DuckDBInstance.create(${JSON.stringify(file)})
               console.log("ready")
               setInterval(() => {}, 1000)`
            ],
            { cwd: path.join(import.meta.dirname, "../.."), stdio: ["ignore", "pipe", "inherit"] }
          )
        ),
        (child) => Effect.sync(() => child.kill("SIGKILL"))
      )
      yield* Effect.callback<void>((resume) => {
        holder.stdout?.once("data", () => resume(Effect.void))
      })
      const exit = yield* Effect.exit(countRows("t").pipe(Effect.provide(DuckDbClient.layer({ filename: file }))))
      const error = failure(exit)
      assert.strictEqual(error.reason._tag, "ConnectionError")
      assert.include(error.message, `cannot open DuckDB ${file}`)
      assert.include(error.message, "Could not set lock on file")
    })
  )
})
