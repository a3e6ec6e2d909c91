import { TestDatabase } from "@weft/fixtures"
import { workflowTest } from "@weft/testing"
import { describe, expect } from "vitest"
import { migrations, salesEvents, sampleDay } from "../src/services/schema.js"
import { params, workflow } from "../src/workflows/etl.js"

// the first test to open the shared PGlite instance pays its start-up (seconds on a busy machine)
const startUp = 90_000

const database = () =>
  TestDatabase.scoped({ migrations, seed: { sales_events: salesEvents.map((e) => ({ ...e })) } })

describe("nightly ETL", () => {
  workflowTest(
    "extracts the day's 12 events, rejects the 2 malformed ones and loads 8 daily facts",
    async ({ harness }) => {
      const db = await harness.resource<TestDatabase.TestDatabase>("db", database())

      const result = await harness.execute(workflow, params)

      harness.assertWorkflowSuccess(result)
      harness.assertNodeOutput(result, "report", {
        date: sampleDay,
        extracted: 12,
        accepted: 10,
        rejected: 2,
        facts: 8,
        loaded: 8
      })
      const rows = await db.query(
        "select sku, region, units, revenue_cents from warehouse_daily_sales where day = $1 order by sku, region",
        [sampleDay]
      )
      expect(rows).toContainEqual({ sku: "MUG-01", region: "eu", units: 3, revenue_cents: 3750 })
      expect(rows).toContainEqual({ sku: "CAP-X", region: "us", units: 4, revenue_cents: 7200 })
      expect(rows).toHaveLength(8)
    },
    startUp
  )

  workflowTest(
    "loads idempotently: a second run updates the same 8 rows",
    async ({ harness }) => {
      const db = await harness.resource<TestDatabase.TestDatabase>("db", database())

      await harness.execute(workflow, params)
      const again = await harness.execute(workflow, params)

      harness.assertWorkflowSuccess(again)
      const [count] = await db.query("select count(*)::int as n from warehouse_daily_sales")
      expect(count).toEqual({ n: 8 })
    },
    startUp
  )

  workflowTest(
    "fails on a malformed date without touching the warehouse",
    async ({ harness }) => {
      const db = await harness.resource<TestDatabase.TestDatabase>("db", database())

      const result = await harness.execute(workflow, { date: "yesterday" })

      expect(result.status).toBe("failed")
      expect(result.errors[0]?.message).toContain("params.date must be a day")
      harness.assertExecutionCount("load", 0, result)
      expect(await db.query("select * from warehouse_daily_sales")).toEqual([])
    },
    startUp
  )
})
