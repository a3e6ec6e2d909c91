// Example: an event-driven node.
//
// The listener takes events with `nextEvent(timeout)` until a "stop" event (or a quiet second).
// `events` delivers events into the running execution at virtual times.
import { Workflow } from "@weft/graph"
import { workflowTest } from "@weft/testing"
import { expect } from "vitest"

const workflow = Workflow.make("event_workflow")
  .code(
    "event_listener",
    `const events = []
     while (true) {
       const event = await nextEvent(1000) // null after a quiet second
       if (event === null) break
       events.push(event)
       if (event.type === "stop") break
     }
     return { events }`
  )
  .build()

workflowTest("the listener collects events until it is told to stop", async ({ harness }) => {
  const result = await harness.execute(
    workflow,
    {},
    {
      events: [
        { at: "100 millis", event: { type: "data", value: 1 } },
        { at: "100 millis", event: { type: "data", value: 2 } },
        { at: "150 millis", event: { type: "stop" } }
      ]
    }
  )

  harness.assertNodeOutput(
    result,
    "event_listener",
    [{ type: "data", value: 1 }, { type: "data", value: 2 }, { type: "stop" }],
    "events"
  )
  expect(result.duration).toBe(150)
})

workflowTest(
  "without a stop event the listener gives up after a quiet second",
  async ({ harness }) => {
    const result = await harness.execute(
      workflow,
      {},
      {
        events: [{ at: "200 millis", event: { type: "data", value: 1 } }]
      }
    )

    harness.assertNodeOutput(result, "event_listener", [{ type: "data", value: 1 }], "events")
    expect(result.duration).toBe(1200)
  }
)
