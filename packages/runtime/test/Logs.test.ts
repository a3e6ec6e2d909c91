import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import { Policy } from "@weft/retry"
import { Effect, Logger, Metric, References } from "effect"
import { Metrics, Runtime } from "../src/index.js"
import { sandbox, task, workflow } from "./helpers.js"

class Unavailable {
  readonly _tag = "Unavailable"
  readonly message = "503"
}

// charge fails once (an Info retry log), then refund fails for good (a Warn failure log)
const noisy = workflow(
  "noisy",
  [
    task("charge", {
      retry: Policy.fixed({ delay: 1, maxAttempts: 2 }) as unknown as {
        readonly [k: string]: null
      }
    }),
    task("refund")
  ],
  [],
  { failureMode: "continue" }
)
const functions = () => {
  let charges = 0
  return {
    charge: () => (++charges < 2 ? Effect.fail(new Unavailable()) : Effect.succeed("ch_1")),
    refund: () => Effect.fail(new Unavailable())
  }
}

describe("logs of the Promise facade", () => {
  const written: Array<string> = []
  const originals = { ...console }
  beforeEach(() => {
    written.length = 0
    for (const method of ["log", "info", "warn", "error", "debug", "trace"] as const)
      console[method] = (...args: Array<unknown>) => {
        written.push(`${method}: ${args.map(String).join(" ")}`)
      }
  })
  afterEach(() => {
    Object.assign(console, originals)
  })

  it("a run prints nothing unless it is given a logLevel or a logger", async () => {
    const result = await Runtime.run(noisy, {}, { functions: functions() })
    assert.strictEqual(result.status, "failed")
    assert.deepStrictEqual(written, [])
  })

  it("logLevel turns on Effect's default logger from that level up", async () => {
    await Runtime.run(noisy, {}, { functions: functions(), logLevel: "Warn" })
    assert.strictEqual(written.length, 1, written.join("\n"))
    assert.include(written[0], "node refund failed: Unavailable: 503")
    written.length = 0
    await Runtime.run(noisy, {}, { functions: functions(), logLevel: "Info" })
    assert.strictEqual(written.length, 2, written.join("\n"))
    assert.include(
      written.join("\n"),
      "node charge attempt 1/2 failed: Unavailable; retrying in 1ms"
    )
  })

  it("a logger receives the run's logs with their level and annotations", async () => {
    const lines: Array<string> = []
    const logger = Logger.make(({ logLevel, message, fiber }) => {
      const annotations = fiber.getRef(References.CurrentLogAnnotations)
      lines.push(`${logLevel} ${String(message)} ${String(annotations.nodeId)}`)
    })
    const result = await Runtime.run(noisy, {}, { functions: functions(), logger })
    assert.deepStrictEqual(lines, [
      "Info node charge attempt 1/2 failed: Unavailable; retrying in 1ms charge",
      `Warn node refund failed: Unavailable: 503 refund`
    ])
    assert.strictEqual(result.status, "failed")
    assert.deepStrictEqual(written, [])
  })
})

describe("logs and metrics of Runtime.execute (Effect)", () => {
  it.live("logs through the caller's Effect logger", () =>
    Effect.gen(function* () {
      const lines: Array<string> = []
      const capture = Logger.make(({ logLevel, message }) => {
        lines.push(`${logLevel} ${String(message)}`)
      })
      yield* Runtime.execute(noisy, {}, { functions: functions() }).pipe(
        Effect.provide(Logger.layer([capture]))
      )
      assert.deepStrictEqual(lines, [
        "Info node charge attempt 1/2 failed: Unavailable; retrying in 1ms",
        "Warn node refund failed: Unavailable: 503"
      ])
    }).pipe(Effect.provide(sandbox))
  )

  it.live("records metrics only under Metrics.layer, into the caller's registry", () =>
    Effect.gen(function* () {
      const finished = (status: string) =>
        Metric.value(
          Metric.withAttributes(Metrics.executionsFinished, {
            "weft.workflow.id": "noisy",
            "weft.status": status
          })
        )
      yield* Runtime.execute(noisy, {}, { functions: functions() })
      assert.strictEqual((yield* finished("failed")).count, 0)
      yield* Runtime.execute(noisy, {}, { functions: functions() }).pipe(
        Effect.provide(Metrics.layer)
      )
      yield* Runtime.execute(noisy, {}, { functions: functions() }).pipe(
        Effect.provide(Metrics.layer)
      )
      assert.strictEqual((yield* finished("failed")).count, 2)
      const retries = yield* Metric.value(
        Metric.withAttributes(Metrics.nodeRetries, {
          "weft.workflow.id": "noisy",
          "weft.node.id": "charge",
          "weft.error.tag": "Unavailable"
        })
      )
      assert.strictEqual(retries.count, 2)
    }).pipe(
      Effect.provideService(Metric.MetricRegistry, new Map()),
      Effect.provide([sandbox, Logger.layer([])])
    )
  )
})
