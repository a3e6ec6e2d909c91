import { MockHttp } from "@weft/fixtures"
import { Trace } from "@weft/runtime"
import { workflowTest } from "@weft/testing"
import { describe, expect } from "vitest"
import { params, workflow } from "../src/workflows/monitoring.js"

const metricsServing = (samples: ReadonlyArray<number>) =>
  MockHttp.make()
    .on("GET", "/metrics")
    .reply(200, { host: "web-1", metric: "cpu", unit: "percent", samples })

describe("monitoring", () => {
  workflowTest("alerts once when the smoothed CPU converges above 90 %", async ({ harness }) => {
    await harness.mock("metrics", metricsServing([71, 78, 86, 93, 95, 97, 96, 98]))
    await harness.mock(
      "alerts",
      MockHttp.make().on("POST", "/alerts").reply(201, { id: "alert_1" })
    )

    const result = await harness.execute(workflow, params)

    harness.assertWorkflowSuccess(result)
    harness.assertNodeOutput(result, "alert", 1, "alertsSent")
    harness.assertResourceCalled("alerts", "post", { times: 1 })
    const cpu = result.outputs.alert as { readonly cpu: number }
    expect(cpu.cpu).toBeCloseTo(97, 0)
    const loop = Trace.ofType(result.trace, "loop-finished")[0]
    expect(loop?.converged).toBe(true)
    expect(result.nodes.smooth?.iterations).toBe(loop?.iterations)
    expect(loop?.iterations).toBeGreaterThan(2)
  })

  workflowTest("sends no alert when the host is idle", async ({ harness }) => {
    await harness.mock("metrics", metricsServing([35, 41, 38, 44, 40, 39, 42, 37]))
    await harness.mock(
      "alerts",
      MockHttp.make().on("POST", "/alerts").reply(201, { id: "alert_1" })
    )

    const result = await harness.execute(workflow, params)

    harness.assertWorkflowSuccess(result)
    harness.assertNodeOutput(result, "alert", 0, "alertsSent")
    harness.assertResourceNotCalled("alerts")
  })

  workflowTest(
    "fails with LoopDidNotConverge when 2 iterations are not enough",
    async ({ harness }) => {
      await harness.mock("metrics", metricsServing([10, 10, 10, 99, 99, 99]))
      await harness.mock(
        "alerts",
        MockHttp.make().on("POST", "/alerts").reply(201, { id: "alert_1" })
      )
      const impatient = {
        ...workflow,
        loops: workflow.loops.map((loop) => ({ ...loop, maxIterations: 2 }))
      }

      const result = await harness.execute(impatient, params)

      expect(result.status).toBe("failed")
      expect(result.errors[0]?._tag).toBe("LoopDidNotConverge")
      harness.assertResourceNotCalled("alerts")
    }
  )
})
