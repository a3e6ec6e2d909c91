// The demo database: embedded PGlite by default (PostgreSQL compiled to WebAssembly, in this
// process, nothing to install), or a PostgreSQL server with `--database-url`. On a server the
// demo works in a schema of its own and drops it when it closes, so it leaves nothing behind.
// Workflows see only `query` and `execute` (the same shape as @weft/fixtures' TestDatabase).
import type pg from "pg"
import { ServiceUnavailable } from "./errors.js"
import { type Json, type JsonObject, toJsonValue } from "./json.js"

export type Row = JsonObject

/** What a workflow gets from `getResource("db")`. */
export interface SqlClient {
  /** Runs one statement and returns its rows. */
  readonly query: (sql: string, params?: ReadonlyArray<Json>) => Promise<Array<Row>>
  /** Runs one statement and returns how many rows it changed. */
  readonly execute: (
    sql: string,
    params?: ReadonlyArray<Json>
  ) => Promise<{ readonly rowCount: number }>
}

export interface Database extends SqlClient {
  readonly engine: "pglite" | "postgres"
  /** Where the data lives, for people: "PGlite (in-process)" or the server and schema. */
  readonly description: string
  readonly close: () => Promise<void>
}

const toRows = (rows: ReadonlyArray<unknown>): Array<Row> =>
  rows.map((row) => toJsonValue(row) as Row)

const toParams = (params: ReadonlyArray<Json> | undefined): Array<unknown> =>
  (params ?? []).map((value) =>
    value !== null && typeof value === "object" ? JSON.stringify(value) : value
  )

export const openPglite = async (): Promise<Database> => {
  // loaded on first use: `--help` and input errors answer without starting a database engine
  let db: import("@electric-sql/pglite").PGlite
  try {
    const { PGlite } = await import("@electric-sql/pglite")
    db = await PGlite.create()
  } catch (error) {
    throw new ServiceUnavailable({
      service: "database",
      message: `could not start the embedded PGlite database: ${error instanceof Error ? error.message : String(error)}`
    })
  }
  return {
    engine: "pglite",
    description: "PGlite (embedded PostgreSQL, in memory)",
    query: async (sql, params) => toRows((await db.query(sql, toParams(params))).rows),
    execute: async (sql, params) => {
      if (params === undefined || params.length === 0) {
        const results = await db.exec(sql)
        return { rowCount: results.reduce((sum, r) => sum + (r.affectedRows ?? 0), 0) }
      }
      return { rowCount: (await db.query(sql, toParams(params))).affectedRows ?? 0 }
    },
    close: () => db.close()
  }
}

const redact = (url: string): string => {
  try {
    const parsed = new URL(url)
    if (parsed.password !== "") parsed.password = "***"
    return parsed.toString()
  } catch {
    return url
  }
}

export const openPostgres = async (url: string): Promise<Database> => {
  try {
    new URL(url)
  } catch {
    throw new ServiceUnavailable({
      service: "database",
      message: `--database-url "${url}" is not a URL; expected postgres://user:password@host:port/database`
    })
  }
  const { default: pgModule } = await import("pg")
  // int8 (count(*), sums) as numbers, dates as their ISO text: rows look like PGlite's
  const types = {
    getTypeParser: (oid: number, format?: "text" | "binary") => {
      if (oid === 20 || oid === 1700) return (value: string) => Number(value)
      if (oid === 1082) return (value: string) => value
      return pgModule.types.getTypeParser(oid, format)
    }
  }
  const client = new pgModule.Client({
    connectionString: url,
    types,
    connectionTimeoutMillis: 5_000
  })
  client.on("error", () => {})
  try {
    await client.connect()
  } catch (error) {
    await client.end().catch(() => {})
    throw new ServiceUnavailable({
      service: "database",
      message: `could not connect to PostgreSQL at ${redact(url)}: ${error instanceof Error ? error.message || error.name : String(error)}`
    })
  }
  const schema = `weft_demo_${process.pid}_${Date.now().toString(36)}`
  await client.query(`create schema ${schema}`)
  await client.query(`set search_path to ${schema}`)
  return {
    engine: "postgres",
    description: `PostgreSQL at ${redact(url)} (schema ${schema}, dropped at exit)`,
    query: async (sql, params) => toRows((await client.query(sql, toParams(params))).rows),
    execute: async (sql, params) => {
      const result = await client.query(sql, toParams(params))
      const results = Array.isArray(result) ? result : [result]
      return {
        rowCount: results.reduce((sum: number, r: pg.QueryResult) => sum + (r.rowCount ?? 0), 0)
      }
    },
    close: async () => {
      try {
        await client.query(`drop schema if exists ${schema} cascade`)
      } finally {
        await client.end()
      }
    }
  }
}

/** The view of a database a workflow gets: no `close`. */
export const sqlClient = (db: SqlClient): SqlClient => ({
  query: (sql, params) => db.query(sql, params),
  execute: (sql, params) => db.execute(sql, params)
})
