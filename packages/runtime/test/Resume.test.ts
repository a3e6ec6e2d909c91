import { assert, describe, it } from "@effect/vitest"
import { Policy } from "@weft/retry"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { Journal, Runtime } from "../src/index.js"
import { connect, sandbox, task, workflow } from "./helpers.js"

const retry = (policy: Policy.Policy) => policy as unknown as { readonly [key: string]: null }

const success = (
  output: Extract<Journal.AttemptOutcome, { readonly _tag: "Success" }>["output"],
  startedAt: number,
  endedAt: number,
  queuedMillis = 0
): Journal.AttemptRecord => ({
  outcome: { _tag: "Success", output },
  startedAt,
  endedAt,
  queuedMillis,
  events: []
})

/**
 * A journal resuming an execution an earlier process ran: it replays the records it holds, and
 * its "now" readings are the recorded ones (a fresh reading past them is the replay's clock).
 */
const resumed = (
  records: ReadonlyMap<string, Journal.AttemptRecord>,
  nows: ReadonlyMap<string, number>,
  overrides: Partial<Journal.ExecutionJournal> = {}
): Journal.Journal => ({
  open: (execution) =>
    Effect.map(Journal.memory.open(execution), (inner) => ({
      ...inner,
      attempt: (key, run) => {
        const known = records.get(`${key.nodeId}:${key.iteration}:${key.attempt}`)
        return known === undefined ? run : Effect.succeed(known)
      },
      now: (name) => {
        const known = nows.get(name)
        return known === undefined ? inner.now(name) : Effect.succeed(known)
      },
      ...overrides
    }))
})

describe("resuming an execution through a journal", () => {
  it.effect(
    "replayed nodes keep their recorded times; the execution counts from its first start",
    () =>
      Effect.gen(function* () {
        // the earlier process started at 990; this one resumes at 50 000
        yield* TestClock.setTime(50_000)
        const records = new Map<string, Journal.AttemptRecord>([
          ["pick:1:1", success({ choice: 1 }, 1_000, 1_012, 3)],
          [
            "charge:1:1",
            {
              outcome: { _tag: "Failure", error: { _tag: "Busy", message: "try later" } },
              startedAt: 1_020,
              endedAt: 1_025,
              queuedMillis: 0,
              events: []
            }
          ],
          ["charge:1:2", success({ charged: true }, 1_100, 1_130)]
        ])
        const journal = resumed(records, new Map([["execution:started", 990]]))
        const policy = Policy.fixed({ delay: 75, maxAttempts: 2, retryOn: ["Busy"] })
        const wf = workflow(
          "resumed",
          [task("pick"), task("charge", { retry: retry(policy) }), task("ship")],
          [connect("pick", "choice", "charge", "choice"), connect("charge", "", "ship", "receipt")]
        )
        const fiber = yield* Effect.forkChild(
          Runtime.execute(
            wf,
            {},
            {
              executionId: "e-resumed",
              functions: {
                pick: () => ({ choice: 2 }),
                charge: () => ({ charged: false }),
                ship: () => "shipped"
              }
            }
          ).pipe(Effect.provideService(Journal.CurrentJournal, journal))
        )
        yield* TestClock.adjust(75)
        const result = yield* Fiber.join(fiber)
        assert.strictEqual(result.status, "succeeded")
        // the replayed outputs, not fresh ones
        assert.deepStrictEqual(result.outputs.charge, { charged: true })
        const { charge, pick, ship } = result.nodes
        // first attempt's start (its queueing included) to last attempt's end
        assert.deepStrictEqual(
          [pick!.startedAt, pick!.finishedAt, pick!.duration, pick!.queuedMillis],
          [997, 1_012, 15, 3]
        )
        assert.deepStrictEqual(
          [charge!.startedAt, charge!.finishedAt, charge!.duration, charge!.attempts],
          [1_020, 1_130, 110, 2]
        )
        // ship ran live in this process
        assert.strictEqual(ship!.startedAt! >= 50_000, true)
        assert.strictEqual(ship!.duration! >= 0, true)
        assert.strictEqual(result.startedAt, 990)
        assert.strictEqual(result.duration, result.finishedAt - 990)
        const started = result.trace.find((e) => e.type === "execution-started")
        assert.strictEqual(started?.at, 990)
        const succeeded = result.trace.flatMap((e) =>
          e.type === "node-succeeded" ? [[e.nodeId, e.at, e.duration] as const] : []
        )
        assert.deepStrictEqual(succeeded.slice(0, 2), [
          ["pick", 1_012, 15],
          ["charge", 1_130, 110]
        ])
      }).pipe(Effect.provide(sandbox))
  )

  it.effect("a replayed failure ends at its last attempt's recorded end", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(20_000)
      const failed: Journal.AttemptRecord = {
        outcome: { _tag: "Failure", error: { _tag: "Declined", message: "card declined" } },
        startedAt: 500,
        endedAt: 540,
        queuedMillis: 0,
        events: []
      }
      const journal = resumed(
        new Map([["charge:1:1", failed]]),
        new Map([["execution:started", 480]])
      )
      const result = yield* Runtime.execute(
        workflow("declined", [task("charge")]),
        {},
        { functions: { charge: () => ({ charged: true }) } }
      ).pipe(Effect.provideService(Journal.CurrentJournal, journal))
      assert.strictEqual(result.status, "failed")
      const charge = result.nodes.charge!
      assert.deepStrictEqual([charge.startedAt, charge.finishedAt, charge.duration], [500, 540, 40])
      assert.strictEqual(result.startedAt, 480)
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("a workflow timeout counts from the execution's first start", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(10_000)
      // first started at 9 000 with a 1 500 ms timeout: 500 ms are left
      const journal = resumed(new Map(), new Map([["execution:started", 9_000]]))
      const fiber = yield* Effect.forkChild(
        Runtime.execute(
          workflow("late", [task("slow")], [], { timeout: 1_500 }),
          {},
          { functions: { slow: () => new Promise<never>(() => {}) } }
        ).pipe(Effect.provideService(Journal.CurrentJournal, journal))
      )
      yield* TestClock.adjust(499)
      assert.strictEqual(fiber.pollUnsafe(), undefined)
      yield* TestClock.adjust(1)
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.status, "timed-out")
      assert.strictEqual(result.duration, 1_500)
    }).pipe(Effect.provide(sandbox))
  )

  it.effect(
    "a node interrupted from outside (its engine shutting down) never makes a success",
    () =>
      Effect.gen(function* () {
        const journal = resumed(new Map(), new Map(), {
          // the durable engine closed while the event node waited
          awaitEvent: () => Effect.interrupt
        })
        const result = yield* Runtime.execute(
          workflow(
            "approval",
            [task("submit"), { kind: "event", id: "approval", event: "approved" }, task("ship")],
            [connect("submit", "", "approval", "order"), connect("approval", "", "ship", "ok")]
          ),
          {},
          { functions: { submit: () => ({ id: 1 }), ship: () => "shipped" } }
        ).pipe(Effect.provideService(Journal.CurrentJournal, journal))
        assert.strictEqual(result.status, "cancelled")
        assert.strictEqual(result.nodes.submit!.status, "succeeded")
        assert.strictEqual(result.nodes.approval!.status, "cancelled")
        assert.strictEqual(result.nodes.ship!.status, "skipped")
        assert.deepStrictEqual(
          result.errors.map((e) => e._tag),
          ["ExecutionCancelled"]
        )
      }).pipe(Effect.provide(sandbox))
  )

  it.effect(
    "an attempt interrupted from outside cancels the execution and its running siblings",
    () =>
      Effect.gen(function* () {
        const journal = resumed(new Map(), new Map(), {
          attempt: (key, run) =>
            key.nodeId === "a" ? Effect.andThen(Effect.sleep(1), Effect.interrupt) : run
        })
        const fiber = yield* Effect.forkChild(
          Runtime.execute(
            workflow("siblings", [task("a"), task("b"), task("c")], [connect("a", "", "c", "x")]),
            {},
            { functions: { a: () => 1, b: () => new Promise<never>(() => {}), c: () => 3 } }
          ).pipe(Effect.provideService(Journal.CurrentJournal, journal))
        )
        yield* TestClock.adjust(1)
        const result = yield* Fiber.join(fiber)
        assert.strictEqual(result.status, "cancelled")
        assert.deepStrictEqual(
          [result.nodes.a!.status, result.nodes.b!.status, result.nodes.c!.status],
          ["cancelled", "cancelled", "skipped"]
        )
      }).pipe(Effect.provide(sandbox))
  )
})
