// Tables of the demo (and of its tests, through TestDatabase's `migrations`) and the sample
// point-of-sale events the nightly ETL aggregates.
import type { SqlClient } from "./database.js"

export const migrations: ReadonlyArray<string> = [
  `create table orders (
    id serial primary key,
    order_id text not null unique,
    customer_email text not null,
    total_cents integer not null,
    currency text not null,
    charge_id text not null,
    items jsonb not null,
    created_at timestamptz not null default now()
  )`,
  `create table sales_events (
    id serial primary key,
    day date not null,
    sku text,
    region text not null,
    quantity integer not null,
    unit_price_cents integer not null
  )`,
  `create table warehouse_daily_sales (
    day date not null,
    sku text not null,
    region text not null,
    units integer not null,
    revenue_cents integer not null,
    primary key (day, sku, region)
  )`
]

/** The day the sample sales events belong to (the ETL's default `date` param). */
export const sampleDay = "2026-11-20"

export interface SalesEvent {
  readonly day: string
  readonly sku: string | null
  readonly region: string
  readonly quantity: number
  readonly unit_price_cents: number
}

/** 14 events: 12 on the sample day (2 of them malformed), 2 on the day before. */
export const salesEvents: ReadonlyArray<SalesEvent> = [
  { day: sampleDay, sku: "MUG-01", region: "eu", quantity: 2, unit_price_cents: 1250 },
  { day: sampleDay, sku: "MUG-01", region: "eu", quantity: 1, unit_price_cents: 1250 },
  { day: sampleDay, sku: "MUG-01", region: "us", quantity: 3, unit_price_cents: 1400 },
  { day: sampleDay, sku: "TEE-M", region: "eu", quantity: 1, unit_price_cents: 2400 },
  { day: sampleDay, sku: "TEE-M", region: "eu", quantity: 2, unit_price_cents: 2400 },
  { day: sampleDay, sku: "TEE-M", region: "us", quantity: 1, unit_price_cents: 2600 },
  { day: sampleDay, sku: null, region: "eu", quantity: 1, unit_price_cents: 999 },
  { day: sampleDay, sku: "CAP-X", region: "us", quantity: 4, unit_price_cents: 1800 },
  { day: sampleDay, sku: "CAP-X", region: "us", quantity: 0, unit_price_cents: 1800 },
  { day: sampleDay, sku: "CAP-X", region: "eu", quantity: 1, unit_price_cents: 1700 },
  { day: sampleDay, sku: "SOCK-3", region: "eu", quantity: 6, unit_price_cents: 500 },
  { day: sampleDay, sku: "SOCK-3", region: "us", quantity: 2, unit_price_cents: 550 },
  { day: "2026-11-19", sku: "MUG-01", region: "eu", quantity: 5, unit_price_cents: 1250 },
  { day: "2026-11-19", sku: "TEE-M", region: "us", quantity: 1, unit_price_cents: 2600 }
]

/** Creates the tables and inserts the sample sales events. */
export const prepare = async (db: SqlClient): Promise<void> => {
  for (const statement of migrations) await db.execute(statement)
  await db.execute(
    `insert into sales_events (day, sku, region, quantity, unit_price_cents)
     select day::date, sku, region, quantity, unit_price_cents
     from jsonb_to_recordset($1::jsonb)
       as e(day text, sku text, region text, quantity integer, unit_price_cents integer)`,
    [JSON.stringify(salesEvents)]
  )
}
