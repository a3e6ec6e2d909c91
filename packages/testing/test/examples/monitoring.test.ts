// Example: monitoring that alerts on high CPU.
//
// A mocked metrics store feeds the check; the alert manager is a mocked HTTP service. High CPU
// sends exactly one alert; normal CPU sends none.
import { MockHttp, MockResource } from "@weft/fixtures"
import { Workflow } from "@weft/graph"
import { workflowTest } from "@weft/testing"

interface Metrics {
  fetch(metric: string): Promise<ReadonlyArray<{ readonly metric: string; readonly value: number }>>
}

const monitoring = Workflow.make("monitoring")
  .code(
    "collect",
    `const metrics = await getResource("metrics")
     const rows = await metrics.fetch("cpu_usage")
     return { cpu: Math.max(...rows.map((r) => r.value)) }`
  )
  .code(
    "alerting",
    `let alerts_sent = 0
     if (cpu > threshold) {
       const alerts = await getResource("alerts")
       await alerts.post("/alerts", { json: { severity: "critical", message: "CPU at " + cpu + "%" } })
       alerts_sent = 1
     }
     return { alerts_sent }`
  )
  .connect("collect", "cpu", "alerting", "cpu")
  .build()

workflowTest("high CPU triggers an alert", async ({ harness }) => {
  await harness.mock(
    "metrics",
    MockResource.make<Metrics>({ fetch: { returns: [{ metric: "cpu_usage", value: 95.0 }] } })
  )
  await harness.mock(
    "alerts",
    MockHttp.make().on("POST", "/alerts").reply(201, { alert_id: "alert_123" })
  )

  const result = await harness.execute(monitoring, { threshold: 80 })

  harness.assertWorkflowSuccess(result)
  harness.assertNodeOutput(result, "alerting", 1, "alerts_sent")
  harness.assertResourceCalled("alerts", "post", {
    times: 1,
    with: ["/alerts", { json: { severity: "critical", message: "CPU at 95%" } }]
  })
})

workflowTest("normal CPU sends no alert", async ({ harness }) => {
  await harness.mock(
    "metrics",
    MockResource.make<Metrics>({ fetch: { returns: [{ metric: "cpu_usage", value: 35.5 }] } })
  )
  await harness.mock("alerts", MockHttp.make().on("POST", "/alerts").reply(201, {}))

  const result = await harness.execute(monitoring, { threshold: 80 })

  harness.assertNodeOutput(result, "alerting", 0, "alerts_sent")
  harness.assertResourceNotCalled("alerts")
})
