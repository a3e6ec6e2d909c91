// The built-in demos: each workflow with its sample params, the params a run needs, and the
// one-line highlights the CLI prints after its summary table.
import type { Workflow } from "@weft/graph"
import { ExecutionResult } from "@weft/runtime"
import type { JsonObject } from "../services/json.js"
import * as checkout from "./checkout.js"
import * as etl from "./etl.js"
import * as monitoring from "./monitoring.js"

export interface Demo {
  /** The name `weft-demo run <name>` accepts. */
  readonly name: string
  /** The JSON form, relative to apps/demo. */
  readonly file: string
  readonly workflow: Workflow.Workflow
  readonly params: JsonObject
  readonly requiredParams: ReadonlyArray<string>
  readonly highlights: (result: ExecutionResult.ExecutionResult) => ReadonlyArray<string>
}

const num = (result: ExecutionResult.ExecutionResult, node: string, path: string) => {
  const value = ExecutionResult.getOutput(result, node, path)
  return typeof value === "number" ? value : undefined
}
const str = (result: ExecutionResult.ExecutionResult, node: string, path: string) => {
  const value = ExecutionResult.getOutput(result, node, path)
  return typeof value === "string" ? value : undefined
}

export const demos: ReadonlyArray<Demo> = [
  {
    name: "checkout",
    file: "workflows/checkout.json",
    workflow: checkout.workflow,
    params: checkout.params,
    requiredParams: checkout.requiredParams,
    highlights: (result) => {
      const lines: Array<string> = []
      const amount = num(result, "charge", "amount")
      if (amount !== undefined) {
        const attempts = result.nodes.charge?.attempts ?? 0
        lines.push(
          `charged ${(amount / 100).toFixed(2)} ${str(result, "charge", "currency") ?? ""} as ${str(result, "charge", "chargeId")} after ${attempts} attempt${attempts === 1 ? "" : "s"}`
        )
      }
      const messageId = str(result, "send_receipt", "messageId")
      if (messageId !== undefined)
        lines.push(`receipt ${messageId} sent to ${str(result, "send_receipt", "to")}`)
      const row = num(result, "record_order", "orderRow")
      if (row !== undefined) lines.push(`order recorded as row ${row} of the orders table`)
      return lines
    }
  },
  {
    name: "etl",
    file: "workflows/etl.json",
    workflow: etl.workflow,
    params: etl.params,
    requiredParams: etl.requiredParams,
    highlights: (result) => {
      const extracted = num(result, "report", "extracted")
      if (extracted === undefined) return []
      return [
        `${str(result, "report", "date")}: extracted ${extracted} → accepted ${num(result, "report", "accepted")} (rejected ${num(result, "report", "rejected")}) → ${num(result, "report", "facts")} facts → loaded ${num(result, "report", "loaded")} rows into warehouse_daily_sales`
      ]
    }
  },
  {
    name: "monitoring",
    file: "workflows/monitoring.json",
    workflow: monitoring.workflow,
    params: monitoring.params,
    requiredParams: monitoring.requiredParams,
    highlights: (result) => {
      const cpu = num(result, "alert", "cpu")
      if (cpu === undefined) return []
      const iterations = result.nodes.smooth?.iterations ?? 0
      const alertId = str(result, "alert", "alertId")
      const threshold = num(result, "alert", "threshold")
      return [
        `smoothed CPU ${cpu.toFixed(2)}% after ${iterations} loop iterations (converged)`,
        alertId === undefined
          ? `no alert: ${cpu.toFixed(2)}% is not above ${threshold}%`
          : `alert ${alertId} sent: ${cpu.toFixed(2)}% is above ${threshold}%`
      ]
    }
  }
]

/** The built-in demo with this CLI name or workflow id. */
export const find = (nameOrId: string): Demo | undefined =>
  demos.find((demo) => demo.name === nameOrId || demo.workflow.id === nameOrId)
