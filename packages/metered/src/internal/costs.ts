// The cost summary of an execution, computed from its trace: every `metered.usage` event (live
// from task nodes, merged notes from code nodes, or replayed by a durable journal) is one record.
import type { ExecutionResult, Trace } from "@weft/runtime"
import type { Schema } from "effect"
import type { CostRecord, MeteredResult } from "../Meter.js"
import type { BackendFailed } from "../MeteredError.js"
import { fromNanos } from "../PriceTable.js"

type Json = Schema.Json

export interface Note {
  readonly nodeId: string
  readonly iteration: number
  readonly attempt: number
  readonly event: Trace.TraceEvent
}

export interface ExecutionState {
  readonly workflowId: string
  readonly keys: { readonly [key: string]: string }
  readonly notes: Array<Note>
  readonly sinkErrors: Array<BackendFailed>
}

export const withCosts = (
  result: ExecutionResult.ExecutionResult,
  state: ExecutionState,
  currency: string
): MeteredResult => {
  const trace = state.notes.length === 0 ? result.trace : mergeByTime(result.trace, state.notes)
  const records: Array<CostRecord> = []
  let totalNanos = 0
  const byNode: Record<string, number> = {}
  const byMeter: Record<string, number> = {}
  for (const event of trace) {
    if (event.type !== "node-emitted") continue
    const usage = usageOf(event.event)
    if (usage === undefined) continue
    const record: CostRecord = {
      executionId: event.executionId,
      workflowId: result.workflowId,
      nodeId: event.nodeId,
      iteration: usage.iteration,
      attempt: usage.attempt,
      meter: usage.meter,
      model: usage.model,
      quantities: usage.quantities,
      cost: fromNanos(usage.nanos),
      nanos: usage.nanos,
      cached: usage.cached,
      at: event.at,
      keys: state.keys
    }
    records.push(record)
    totalNanos += record.nanos
    byNode[record.nodeId] = (byNode[record.nodeId] ?? 0) + record.nanos
    byMeter[record.meter] = (byMeter[record.meter] ?? 0) + record.nanos
  }
  const toUnits = (o: Record<string, number>) => {
    for (const key of Object.keys(o)) o[key] = fromNanos(o[key]!)
    return o
  }
  return {
    ...result,
    trace,
    costs: {
      currency,
      total: fromNanos(totalNanos),
      totalNanos,
      byNode: toUnits(byNode),
      byMeter: toUnits(byMeter),
      records,
      sinkErrors: state.sinkErrors
    }
  }
}

interface UsageEvent {
  readonly meter: string
  readonly model: string
  readonly quantities: { readonly [quantity: string]: number }
  readonly nanos: number
  readonly cached: boolean
  readonly iteration: number
  readonly attempt: number
}

/** A `metered.usage` event's payload (as emitted, or as a journal replayed it), else undefined. */
const usageOf = (event: Json): UsageEvent | undefined => {
  if (typeof event !== "object" || event === null || Array.isArray(event)) return undefined
  const e = event as { readonly [key: string]: Json }
  if (e.type !== "metered.usage") return undefined
  if (typeof e.meter !== "string" || typeof e.model !== "string" || typeof e.nanos !== "number")
    return undefined
  return {
    meter: e.meter,
    model: e.model,
    quantities: (e.quantities ?? {}) as { readonly [quantity: string]: number },
    nanos: e.nanos,
    cached: e.cached === true,
    iteration: typeof e.iteration === "number" ? e.iteration : 1,
    attempt: typeof e.attempt === "number" ? e.attempt : 1
  }
}

/**
 * Places each note (both lists are in Clock order) after the events before it in time and before
 * the end of the attempt that made it, so same-millisecond notes stay inside their node's span.
 */
const mergeByTime = (
  trace: ReadonlyArray<Trace.TraceEvent>,
  notes: ReadonlyArray<Note>
): ReadonlyArray<Trace.TraceEvent> => {
  const out: Array<Trace.TraceEvent> = []
  let i = 0
  const endsAttempt = (event: Trace.TraceEvent, note: Note) => {
    if (event.at > note.event.at) return true
    if (!("nodeId" in event) || event.nodeId !== note.nodeId) return false
    if (event.type === "node-cancelled") return true
    return (
      (event.type === "node-succeeded" ||
        event.type === "node-failed" ||
        event.type === "node-retrying") &&
      event.iteration === note.iteration &&
      event.attempt >= note.attempt
    )
  }
  for (const note of notes) {
    while (i < trace.length && !endsAttempt(trace[i]!, note)) out.push(trace[i++]!)
    out.push(note.event)
  }
  while (i < trace.length) out.push(trace[i++]!)
  return out
}
