// Monitoring: read a host's CPU samples from the ops API → smooth them in a loop until the
// smoothed value converges → alert through the ops API when it is above the threshold.
import { Loop, Workflow } from "@weft/graph"
import { Policy } from "@weft/retry"
import { Sandbox } from "@weft/sandbox"
import type { JsonObject } from "../services/json.js"
import { js } from "./source.js"

export const workflow = Workflow.make("monitoring", {
  name: "Monitoring",
  description:
    "Read CPU metrics, converge a smoothed value in a loop, alert over HTTP when it is above the threshold."
})
  .code(
    "read_metrics",
    js`
      const metrics = await getResource("metrics")
      const response = await metrics.get("/metrics", { query: { host } })
      if (!response.ok) {
        const error = new Error("metrics API answered " + response.status + ": " + JSON.stringify(response.body))
        error.name = response.status >= 500 ? "MetricsUnavailable" : "UnknownHost"
        throw error
      }
      const samples = response.body.samples
      return { host, samples, latest: samples[samples.length - 1] }
    `,
    {
      description: "GETs the host's CPU samples (percent, oldest first).",
      resources: ["metrics"],
      retry: Policy.exponential({
        base: "100 millis",
        maxAttempts: 3,
        retryOn: ["MetricsUnavailable", "NetworkError"]
      })
    }
  )
  .code(
    "smooth",
    js`
      // one smoothing step per iteration: move toward the recent load (mean of the last 3 samples)
      const recent = metrics.samples.slice(-3)
      const target = recent.reduce((sum, x) => sum + x, 0) / recent.length
      const start = metrics.samples.reduce((sum, x) => sum + x, 0) / metrics.samples.length
      const from = typeof previous === "number" ? previous : start
      const rate = typeof alpha === "number" ? alpha : 0.5
      const value = from + rate * (target - from)
      return { value: Math.round(value * 1000) / 1000, target }
    `,
    { description: "Exponential smoothing step; its own previous output comes back as `previous`." }
  )
  .code(
    "alert",
    js`
      const limit = typeof threshold === "number" ? threshold : 90
      if (!(cpu > limit)) return { alertsSent: 0, cpu, threshold: limit }
      const alerts = await getResource("alerts")
      const response = await alerts.post("/alerts", {
        json: { host, metric: "cpu", value: cpu, threshold: limit, severity: cpu > 95 ? "critical" : "warning" }
      })
      if (!response.ok) {
        const error = new Error("alerts API answered " + response.status)
        error.name = "AlertFailed"
        throw error
      }
      return { alertsSent: 1, alertId: response.body.id, cpu, threshold: limit }
    `,
    {
      description: "POSTs an alert when the smoothed CPU is above `threshold` (percent).",
      resources: ["alerts"],
      retry: Policy.fixed({
        delay: "200 millis",
        maxAttempts: 3,
        retryOn: ["AlertFailed", "NetworkError"]
      })
    }
  )
  .connect("read_metrics", "", "smooth", "metrics")
  .connect("smooth", "value", "smooth", "previous")
  .connect("smooth", "value", "alert", "cpu")
  .loop("smoothing", ["smooth"], {
    maxIterations: 50,
    until: Loop.converged("smooth", "value", 0.05),
    onMaxIterations: "fail"
  })
  .timeout("30 seconds")
  .build({ checkSyntax: Sandbox.syntaxMessage })

export const params: JsonObject = {
  host: "web-1",
  smooth: { alpha: 0.5 },
  alert: { threshold: 90 }
}

export const requiredParams: ReadonlyArray<string> = ["host"]
