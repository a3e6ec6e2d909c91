// Graph-level waits (delay and event nodes), failure connections, retries, node timeouts and
// concurrency keys, all on the harness's virtual clock: days of waiting finish at once, with
// exact durations.
import { Workflow } from "@weft/graph"
import { Policy } from "@weft/retry"
import type { Trace } from "@weft/runtime"
import { Effect } from "effect"
import { describe, expect } from "vitest"
import { workflowTest } from "../src/index.js"

const DAY = 86_400_000
const HOUR = 3_600_000

const eventsOf = (trace: ReadonlyArray<Trace.TraceEvent>, nodeId: string) =>
  trace.filter((e) => "nodeId" in e && e.nodeId === nodeId).map((e) => e.type)

describe("delay nodes on virtual time", () => {
  workflowTest(
    "a 3-day delay finishes at once, exactly 3 days later, carrying its input",
    async ({ harness }) => {
      const wf = Workflow.make("cool-off")
        .code("order", "return { id: 7, total: 40 }")
        .delay("cool", "3 days")
        .code("ship", "return { shipped: order.id }")
        .connect("order", "", "cool", "order")
        .connect("cool", "order", "ship", "order")
        .build()
      const result = await harness.execute(wf)
      harness.assertWorkflowSuccess(result)
      expect(result.duration).toBe(3 * DAY)
      expect(result.timing.virtualMs).toBe(3 * DAY)
      expect(harness.now()).toBe(3 * DAY)
      harness.assertNodeOutput(result, "cool", { order: { id: 7, total: 40 } })
      harness.assertNodeOutput(result, "ship", { shipped: 7 })
      expect(eventsOf(result.trace, "cool")).toEqual([
        "node-scheduled",
        "node-started",
        "node-waiting",
        "node-resumed",
        "node-succeeded"
      ])
    }
  )

  workflowTest(
    "a delay until an epoch from an input waits exactly until then; a past one fires at once",
    async ({ harness }) => {
      const wf = Workflow.make("remind")
        .delay("wait", { until: "deadline" })
        .code("remind", "return 'sent'")
        .connect("wait", "deadline", "remind", "at")
        .build()
      const past = await harness.execute(wf, { wait: { deadline: -5_000 } })
      harness.assertWorkflowSuccess(past)
      expect(past.duration).toBe(0)
      const deadline = harness.now() + 90 * 60_000
      const result = await harness.execute(wf, { wait: { deadline } })
      harness.assertWorkflowSuccess(result)
      expect(result.startedAt).toBe(0)
      expect(result.finishedAt).toBe(deadline)
      expect(result.duration).toBe(90 * 60_000)
      harness.assertNodeOutput(result, "remind", "sent")
      const missing = await harness.execute(wf, { wait: { deadline: "tomorrow" } })
      harness.assertWorkflowFailure(missing, { node: "wait", tag: "InvalidDelayUntil" })
    }
  )
})

describe("event nodes on virtual time", () => {
  const approval = Workflow.make("approval")
    .code("request", "return { orderId: 'o-1' }")
    .event("approved", "order.approved", { timeout: "1 day" })
    .code("escalate", "return { escalated: reason }")
    .code("archive", "return { outcome }")
    .connect("request", "", "approved", "order")
    .onFailure("approved", "_tag", "escalate", "reason")
    .connect("approved", "", "archive", "outcome")
    .connect("escalate", "", "archive", "outcome")
    .build()

  workflowTest(
    "a named event sent during the run completes the event node with its payload",
    async ({ harness }) => {
      const result = await harness.execute(approval, undefined, {
        events: [
          { at: "1 hour", name: "order.rejected", event: { by: "bob" } },
          { at: "2 hours", name: "order.approved", event: { by: "ada" } }
        ]
      })
      harness.assertWorkflowSuccess(result)
      expect(result.duration).toBe(2 * HOUR)
      harness.assertNodeOutput(result, "approved", { by: "ada" })
      harness.assertNodeOutput(result, "archive", { outcome: { by: "ada" } })
      harness.assertNodeStatus(result, "escalate", "skipped")
      expect(result.handled ?? []).toEqual([])
    }
  )

  workflowTest(
    "an event that never comes times out with EventTimedOut, routed to escalation by a failure edge",
    async ({ harness }) => {
      const result = await harness.execute(approval)
      // the failure is handled: the run succeeds, the error is listed in `handled`
      harness.assertWorkflowSuccess(result)
      expect(result.duration).toBe(DAY)
      harness.assertNodeStatus(result, "approved", "timed-out")
      harness.assertNodeOutput(result, "escalate", { escalated: "EventTimedOut" })
      harness.assertNodeOutput(result, "archive", { outcome: { escalated: "EventTimedOut" } })
      expect(result.errors).toEqual([])
      expect(result.handled?.map((e) => [e._tag, (e as { nodeId?: string }).nodeId])).toEqual([
        ["EventTimedOut", "approved"]
      ])
      harness.assertExecutionCount("archive", 1)
    }
  )

  workflowTest(
    "an event sent before the node waits is kept; a started handle sends named events on the clock",
    async ({ harness }) => {
      const late = Workflow.make("late-listener")
        .delay("first", "1 hour")
        .event("approved", "order.approved")
        .connect("first", "", "approved", "after")
        .build()
      // sent at 1 minute, taken when the node starts waiting at 1 hour
      const kept = await harness.execute(late, undefined, {
        events: [{ at: "1 minute", name: "order.approved", event: { early: true } }]
      })
      harness.assertWorkflowSuccess(kept)
      expect(kept.duration).toBe(HOUR)
      harness.assertNodeOutput(kept, "approved", { early: true })

      const handled = await harness.run(
        Effect.scoped(
          Effect.gen(function* () {
            const execution = yield* harness.effect.start(late)
            yield* harness.effect.advance("3 hours")
            yield* execution.send("order.approved", { by: "handle" })
            return yield* execution.result
          })
        )
      )
      harness.assertWorkflowSuccess(handled)
      expect(handled.duration).toBe(3 * HOUR)
      harness.assertNodeOutput(handled, "approved", { by: "handle" })
    }
  )
})

describe("waits, retries, timeouts and limits together", () => {
  workflowTest(
    "retry backoff, a node timeout, a concurrency key and a guest wait give exact virtual durations",
    async ({ harness }) => {
      // each charge attempt executes 200 ms (holding its concurrency key)
      harness.registerFunction("charge", (inputs: { readonly order: { readonly id: string } }) =>
        Effect.as(Effect.sleep("200 millis"), { charged: inputs.order.id })
      )
      const wf = Workflow.make("checkout")
        .code("prepare", "await sleep(1000); return { customerId: 'c-1', id: orderId }")
        .task("charge", {
          timeout: "5 seconds",
          retry: Policy.exponential({ base: "1 second", maxAttempts: 3, jitter: "none" }),
          concurrency: { key: "customer:{order.customerId}", limit: 1 }
        })
        .connect("prepare", "", "charge", "order")
        .build()
      // the first charge attempt (of either run) hangs until its 5 s node timeout
      harness.timeoutNode("charge", { times: 1 })
      const results = await harness.executeMany([
        { workflow: wf, params: { prepare: { orderId: "o-1" } } },
        { workflow: wf, params: { prepare: { orderId: "o-2" } } }
      ])
      for (const result of results) harness.assertWorkflowSuccess(result)
      // 0–1000 both sleep (a wait); 1000–6000 the first charge hangs and times out, the other
      // queues for the key; 6000–6200 the other charges; the first retries after 1000 ms of
      // backoff at 7000 and charges until 7200
      const retried = results.find((r) => r.nodes.charge?.attempts === 2)!
      const other = results.find((r) => r !== retried)!
      expect(retried.nodes.charge?.attempts).toBe(2)
      expect(retried.duration).toBe(7200)
      expect(other.nodes.charge?.attempts).toBe(1)
      expect(other.duration).toBe(6200)
      expect(other.nodes.charge?.queuedMillis).toBe(5000)
      expect(harness.now()).toBe(7200)
      expect(harness.faultsInjected("charge")).toBe(1)
      expect(
        retried.trace.some(
          (e) =>
            e.type === "node-retrying" &&
            e.error === "NodeTimedOut" &&
            e.at === 6000 &&
            e.delay === 1000
        )
      ).toBe(true)
      expect(results.map((r) => r.outputs.charge).sort()).toEqual([
        { charged: "o-1" },
        { charged: "o-2" }
      ])
      // one charge executing at a time across both runs (the sleeps are waits)
      harness.assertMaxConcurrency(1, results)
    }
  )
})
