// Nightly ETL: extract one day's point-of-sale events from PostgreSQL → transform them in the
// sandbox (drop malformed rows, aggregate per SKU and region) → load the facts into the
// warehouse table (an idempotent upsert) → report the count of every stage.
import { Workflow } from "@weft/graph"
import { Policy } from "@weft/retry"
import { Sandbox } from "@weft/sandbox"
import { sampleDay } from "../services/schema.js"
import type { JsonObject } from "../services/json.js"
import { js } from "./source.js"

const databaseRetry = Policy.exponential({
  base: "250 millis",
  maxAttempts: 3,
  retryOn: ["NetworkError", "ConnectionError", "DatabaseError"]
})

export const workflow = Workflow.make("nightly-etl", {
  name: "Nightly ETL",
  description:
    "Extract a day's sales events from PostgreSQL, transform them in the sandbox, load daily facts into the warehouse table."
})
  .code(
    "extract",
    js`
      if (typeof date !== "string" || !/^\\d{4}-\\d{2}-\\d{2}$/.test(date)) {
        const error = new Error("params.date must be a day like \\"2026-11-20\\", got " + JSON.stringify(date))
        error.name = "InvalidParams"
        throw error
      }
      const db = await getResource("db")
      const rows = await db.query(
        "select id, day::text as day, sku, region, quantity, unit_price_cents from sales_events where day = $1::date order by id",
        [date]
      )
      return { date, rows, count: rows.length }
    `,
    { description: "Reads the day's sales events.", resources: ["db"], retry: databaseRetry }
  )
  .code(
    "transform",
    js`
      const facts = new Map()
      const rejected = []
      for (const row of extracted.rows) {
        if (typeof row.sku !== "string" || row.sku === "") { rejected.push({ id: row.id, reason: "no sku" }); continue }
        if (!(row.quantity > 0)) { rejected.push({ id: row.id, reason: "quantity " + row.quantity }); continue }
        const key = row.sku + "/" + row.region
        const fact = facts.get(key) ?? { day: row.day, sku: row.sku, region: row.region, units: 0, revenue_cents: 0 }
        fact.units += row.quantity
        fact.revenue_cents += row.quantity * row.unit_price_cents
        facts.set(key, fact)
      }
      const list = [...facts.values()].sort((a, b) => (a.sku + a.region).localeCompare(b.sku + b.region))
      console.log("aggregated " + (extracted.count - rejected.length) + " events into " + list.length + " facts")
      return { facts: list, count: list.length, accepted: extracted.count - rejected.length, rejected }
    `,
    {
      description:
        "Drops malformed events and aggregates the rest per SKU and region (pure code, sandboxed)."
    }
  )
  .code(
    "load",
    js`
      const db = await getResource("db")
      const { rowCount } = await db.execute(
        "insert into warehouse_daily_sales (day, sku, region, units, revenue_cents) " +
        "select day::date, sku, region, units, revenue_cents from jsonb_to_recordset($1::jsonb) " +
        "as f(day text, sku text, region text, units integer, revenue_cents integer) " +
        "on conflict (day, sku, region) do update set units = excluded.units, revenue_cents = excluded.revenue_cents",
        [JSON.stringify(transformed.facts)]
      )
      return { count: rowCount }
    `,
    {
      description: "Upserts the facts into warehouse_daily_sales.",
      resources: ["db"],
      retry: databaseRetry
    }
  )
  .code(
    "report",
    js`
      return {
        date: extracted.date,
        extracted: extracted.count,
        accepted: transformed.accepted,
        rejected: transformed.rejected.length,
        facts: transformed.count,
        loaded: loaded.count
      }
    `,
    { description: "Counts of every stage." }
  )
  .connect("extract", "", "transform", "extracted")
  .connect("transform", "", "load", "transformed")
  .connect("extract", "", "report", "extracted")
  .connect("transform", "", "report", "transformed")
  .connect("load", "", "report", "loaded")
  .timeout("5 minutes")
  .build({ checkSyntax: Sandbox.syntaxMessage })

export const params: JsonObject = { date: sampleDay }

export const requiredParams: ReadonlyArray<string> = ["date"]
