// Example: an ETL pipeline with a real source database and a mocked warehouse.
//
// The source is a real PostgreSQL (`TestDatabase`: PGlite in-process, or the server in
// WEFT_TEST_DATABASE_URL) with a fresh schema per test, seeded rows, dropped afterwards.
// The warehouse is a recording mock.
import { MockResource, TestDatabase } from "@weft/fixtures"
import { Workflow } from "@weft/graph"
import { workflowTest } from "@weft/testing"
import { afterAll, beforeAll, expect } from "vitest"

interface Warehouse {
  bulk_insert(
    table: string,
    rows: ReadonlyArray<{ readonly id: number; readonly total_cents: number }>
  ): Promise<{ inserted: number }>
}

// Starting PGlite takes seconds (far more on a loaded CI machine): start it once, before the
// tests, with room to spare — not inside the first test's timeout. With a server URL this is
// just a quick connect.
beforeAll(async () => {
  const warm = await TestDatabase.open()
  await warm.close()
}, 120_000)
afterAll(() => TestDatabase.closeSharedPglite())

const etl = Workflow.make("daily_etl")
  .code(
    "extract",
    `const source = await getResource("source")
     const records = await source.query("select id, amount from orders where day = $1 order by id", [date])
     return { records, record_count: records.length }`
  )
  .code(
    "transform",
    `const processed_records = records.map((r) => ({ id: r.id, total_cents: Math.round(Number(r.amount) * 100) }))
     return { processed_records }`
  )
  .code(
    "load",
    `const warehouse = await getResource("warehouse")
     return await warehouse.bulk_insert("daily_totals", processed_records)`
  )
  .connect("extract", "records", "transform", "records")
  .connect("transform", "processed_records", "load", "processed_records")
  .build()

workflowTest("the daily ETL moves the day's orders into the warehouse", async ({ harness }) => {
  await harness.resource(
    "source",
    TestDatabase.scoped({
      migrations: [
        "create table orders (id int primary key, day text not null, amount numeric not null)"
      ],
      seed: {
        orders: [
          { id: 1, day: "2023-01-01", amount: 10.5 },
          { id: 2, day: "2023-01-01", amount: 4.25 },
          { id: 3, day: "2023-01-02", amount: 99 }
        ]
      }
    })
  )
  const warehouse = await harness.mock(
    "warehouse",
    MockResource.make<Warehouse>({
      bulk_insert: { implements: async (_table, rows) => ({ inserted: rows.length }) }
    })
  )

  const result = await harness.execute(etl, { date: "2023-01-01" })

  harness.assertWorkflowSuccess(result)
  harness.assertNodeOutput(result, "extract", 2, "record_count")
  harness.assertNodeOutput(
    result,
    "transform",
    [
      { id: 1, total_cents: 1050 },
      { id: 2, total_cents: 425 }
    ],
    "processed_records"
  )
  harness.assertResourceCalled("warehouse", "bulk_insert", {
    times: 1,
    with: [
      "daily_totals",
      [
        { id: 1, total_cents: 1050 },
        { id: 2, total_cents: 425 }
      ]
    ]
  })
  harness.assertNodeOutput(result, "load", 2, "inserted")
  expect(warehouse.callCount("bulk_insert")).toBe(1)
})

workflowTest("a day without orders loads nothing", async ({ harness }) => {
  await harness.resource(
    "source",
    TestDatabase.scoped({
      migrations: [
        "create table orders (id int primary key, day text not null, amount numeric not null)"
      ]
    })
  )
  await harness.mock(
    "warehouse",
    MockResource.make<Warehouse>({
      bulk_insert: { implements: async (_table, rows) => ({ inserted: rows.length }) }
    })
  )

  const result = await harness.execute(etl, { date: "2023-01-03" })

  harness.assertNodeOutput(result, "extract", 0, "record_count")
  harness.assertNodeOutput(result, "load", 0, "inserted")
})
