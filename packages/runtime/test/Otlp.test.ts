// Weft's spans and metrics through Effect's built-in OTLP exporter (effect/observability),
// received by a loopback OTLP/HTTP (JSON) collector that the test starts on 127.0.0.1.
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Policy } from "@weft/retry"
import { Effect, Layer } from "effect"
import { FetchHttpClient } from "effect/http"
import { Otlp } from "effect/observability"
import { Metrics, Runtime } from "../src/index.js"
import { connect, sandbox, task, workflow } from "./helpers.js"

type AnyValue = {
  readonly stringValue?: string
  readonly intValue?: string | number
  readonly doubleValue?: number
  readonly boolValue?: boolean
}
type KeyValue = { readonly key: string; readonly value: AnyValue }
interface Span {
  readonly status?: { readonly code?: number; readonly message?: string }
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly name: string
  readonly attributes: ReadonlyArray<KeyValue>
}
interface DataPoint {
  readonly attributes: ReadonlyArray<KeyValue>
  readonly asInt?: string | number
  readonly asDouble?: number
  readonly count?: string | number
  readonly sum?: number
}
interface OtlpMetric {
  readonly name: string
  readonly unit?: string
  readonly sum?: { readonly dataPoints: ReadonlyArray<DataPoint> }
  readonly histogram?: { readonly dataPoints: ReadonlyArray<DataPoint> }
  readonly gauge?: { readonly dataPoints: ReadonlyArray<DataPoint> }
}

/** A minimal OTLP/HTTP collector: keeps every JSON body posted to /v1/traces and /v1/metrics. */
const collector = () => {
  const bodies = new Map<string, Array<unknown>>()
  const server: Server = createServer((request, response) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      const list = bodies.get(request.url ?? "") ?? []
      list.push(JSON.parse(Buffer.concat(chunks).toString("utf8")))
      bodies.set(request.url ?? "", list)
      response.writeHead(200, { "content-type": "application/json" }).end("{}")
    })
  })
  return {
    server,
    spans: (): Array<Span> =>
      (bodies.get("/v1/traces") ?? []).flatMap((body) =>
        (
          body as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<Span> }> }> }
        ).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans))
      ),
    metrics: (): Array<OtlpMetric> =>
      (bodies.get("/v1/metrics") ?? []).flatMap((body) =>
        (
          body as {
            resourceMetrics: Array<{ scopeMetrics: Array<{ metrics: Array<OtlpMetric> }> }>
          }
        ).resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))
      )
  }
}

const attribute = (attributes: ReadonlyArray<KeyValue>, key: string): unknown => {
  const value = attributes.find((a) => a.key === key)?.value
  if (value === undefined) return undefined
  if (value.intValue !== undefined) return Number(value.intValue)
  return value.stringValue ?? value.doubleValue ?? value.boolValue
}

class PaymentDeclined {
  readonly _tag = "PaymentDeclined"
  readonly message = "card declined"
}
class MailRejected {
  readonly _tag = "MailRejected"
  readonly message = "422"
}

describe("OpenTelemetry export (OTLP/HTTP to a loopback collector)", () => {
  const otlp = collector()
  let baseUrl: string

  beforeAll(async () => {
    await new Promise<void>((resolve) => otlp.server.listen(0, "127.0.0.1", resolve))
    baseUrl = `http://127.0.0.1:${(otlp.server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    await new Promise((resolve) => otlp.server.close(resolve))
  })

  it.live("exports nested spans with ids, attempt, status and error tag, and the metrics", () =>
    Effect.gen(function* () {
      let charges = 0
      const checkout = workflow(
        "checkout",
        [
          task("price"),
          task("charge", {
            retry: Policy.fixed({ delay: 5, maxAttempts: 3 }) as unknown as {
              readonly [k: string]: null
            }
          }),
          task("mail"),
          // still waiting when mail fails: fail-fast cancels it
          { kind: "delay", id: "settle", duration: 60_000 }
        ],
        [connect("price", "cents", "charge", "cents"), connect("charge", "", "mail", "charge")]
      )
      // what a user writes: the OTLP layer (and an HttpClient) around their program
      const Telemetry = Otlp.layerJson({
        baseUrl,
        resource: { serviceName: "checkout-service" }
      }).pipe(Layer.provide(FetchHttpClient.layer))
      const result = yield* Runtime.execute(
        checkout,
        {},
        {
          functions: {
            price: () => ({ cents: 999 }),
            charge: () =>
              ++charges < 2 ? Effect.fail(new PaymentDeclined()) : Effect.succeed({ id: "ch_1" }),
            mail: () => Effect.fail(new MailRejected())
          }
        }
      ).pipe(
        Effect.withSpan("POST /checkout"),
        Effect.provide([sandbox, Metrics.layer]),
        // closing the layer flushes the exporters
        Effect.provide(Telemetry)
      )
      assert.strictEqual(result.status, "failed")

      const spans = otlp.spans()
      const caller = spans.find((s) => s.name === "POST /checkout")
      const execution = spans.find((s) => s.name === "weft.execution")
      assert.isDefined(caller)
      assert.isDefined(execution)
      assert.strictEqual(execution?.parentSpanId, caller?.spanId)
      assert.strictEqual(execution?.traceId, caller?.traceId)
      assert.strictEqual(attribute(execution?.attributes ?? [], "weft.execution.id"), result.id)
      assert.strictEqual(attribute(execution?.attributes ?? [], "weft.workflow.id"), "checkout")
      const nodes = spans.filter((s) => s.name.startsWith("weft.node"))
      assert.deepStrictEqual(nodes.map((s) => attribute(s.attributes, "weft.node.id")).sort(), [
        "charge",
        "mail",
        "price",
        "settle"
      ])
      for (const span of nodes) {
        assert.strictEqual(span.parentSpanId, execution?.spanId)
        assert.strictEqual(attribute(span.attributes, "weft.execution.id"), result.id)
        assert.strictEqual(attribute(span.attributes, "weft.workflow.id"), "checkout")
        assert.strictEqual(
          attribute(span.attributes, "weft.node.kind"),
          attribute(span.attributes, "weft.node.id") === "settle" ? "delay" : "task"
        )
        assert.strictEqual(attribute(span.attributes, "weft.iteration"), 1)
      }
      const node = (id: string) =>
        nodes.find((s) => attribute(s.attributes, "weft.node.id") === id) as Span
      const summary = (span: Span) => [
        attribute(span.attributes, "weft.status"),
        attribute(span.attributes, "weft.attempt"),
        attribute(span.attributes, "weft.error.tag")
      ]
      assert.deepStrictEqual(summary(node("price")), ["succeeded", 1, undefined])
      assert.deepStrictEqual(summary(node("charge")), ["succeeded", 2, undefined])
      assert.deepStrictEqual(summary(node("mail")), ["failed", 1, "MailRejected"])
      assert.deepStrictEqual(summary(node("settle")), ["cancelled", 1, undefined])
      // OTLP status codes: 0 unset, 1 ok, 2 error
      assert.strictEqual(node("mail").status?.code, 2)
      assert.notStrictEqual(node("charge").status?.code, 2)
      const attempts = spans
        .filter((s) => s.name === "weft.attempt" && s.parentSpanId === node("charge").spanId)
        .map(summary)
        .sort()
      assert.deepStrictEqual(attempts, [
        ["failed", 1, "PaymentDeclined"],
        ["succeeded", 2, undefined]
      ])

      const metrics = otlp.metrics()
      const metric = (name: string) => {
        // the last export of a cumulative metric holds the totals
        const found = metrics.filter((m) => m.name === name).at(-1)
        assert.isDefined(found, `metric ${name} exported`)
        return found as OtlpMetric
      }
      const points = (m: OtlpMetric) =>
        m.sum?.dataPoints ?? m.histogram?.dataPoints ?? m.gauge?.dataPoints ?? []
      const value = (p: DataPoint) => Number(p.asInt ?? p.asDouble ?? p.count)
      const started = metric("weft.executions.started")
      assert.strictEqual(started.unit, "{execution}")
      const checkoutStarted = points(started).find(
        (p) => attribute(p.attributes, "weft.workflow.id") === "checkout"
      )
      assert.strictEqual(value(checkoutStarted!), 1)
      const finished = points(metric("weft.executions.finished")).find(
        (p) => attribute(p.attributes, "weft.workflow.id") === "checkout"
      )
      assert.strictEqual(attribute(finished!.attributes, "weft.status"), "failed")
      for (const name of ["weft.executions.active", "weft.node.attempts.active"]) {
        const active = points(metric(name)).find(
          (p) => attribute(p.attributes, "weft.workflow.id") === "checkout"
        )
        assert.strictEqual(value(active!), 0, `${name} after the run`)
      }
      const retries = points(metric("weft.node.retries"))
      assert.deepStrictEqual(
        retries.map((p) => [
          attribute(p.attributes, "weft.node.id"),
          attribute(p.attributes, "weft.error.tag"),
          value(p)
        ]),
        [["charge", "PaymentDeclined", 1]]
      )
      const duration = metric("weft.node.duration")
      assert.strictEqual(duration.unit, "ms")
      const attemptsByStatus = points(duration)
        .map((p) => [
          attribute(p.attributes, "weft.node.id"),
          attribute(p.attributes, "weft.status"),
          value(p)
        ])
        .sort()
      assert.deepStrictEqual(attemptsByStatus, [
        ["charge", "failed", 1],
        ["charge", "succeeded", 1],
        ["mail", "failed", 1],
        ["price", "succeeded", 1],
        ["settle", "cancelled", 1]
      ])
      // sampled from the (in-thread) sandbox at node events: nothing queued, its steps synchronous
      for (const [name, unit] of [
        ["weft.sandbox.queue.depth", "{run}"],
        ["weft.sandbox.pool.utilization", "1"]
      ] as const) {
        const gauge = metric(name)
        assert.strictEqual(gauge.unit, unit)
        assert.deepStrictEqual(points(gauge).map(value), [0], name)
      }
    })
  )
})
