/**
 * vitest integration: the `workflowTest` fixture (a fresh, isolated `harness` per test,
 * released after it — also when it fails or times out — with a leak check), and the
 * Effect-native `WorkflowTest` service for `@effect/vitest`'s `it.effect`.
 *
 * @since 0.1.0
 */
import { Context, Layer } from "effect"
import { type TestAPI, test } from "vitest"
import * as Harness from "./Harness.js"
import * as Matchers from "./Matchers.js"

type HarnessTest = TestAPI<{ harness: Harness.Harness }>

// vitest only lets `test.extend` run inside a test file, so build on first use: importing
// `@weft/testing` from a script (a benchmark, a demo) must not throw.
const lazy = (make: () => HarnessTest): HarnessTest => {
  let real: HarnessTest | undefined
  const get = () => {
    real ??= make()
    return real
  }
  return new Proxy(function workflowTest() {} as unknown as HarnessTest, {
    apply: (_target, thisArg, args) => Reflect.apply(get() as unknown as Function, thisArg, args),
    get: (_target, property) => Reflect.get(get() as object, property)
  })
}

/**
 * Makes a `workflowTest`-style test function whose harness uses `options` — e.g. real time for
 * one suite: `const liveTest = makeWorkflowTest({ time: "live" })`.
 *
 * @example
 * ```ts
 * import { WorkflowTest } from "@weft/testing"
 * const manualTest = WorkflowTest.makeWorkflowTest({ time: "manual" })
 * manualTest("moves time by hand", async ({ harness }) => {
 *   await harness.advance("1 minute")
 * })
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const makeWorkflowTest = (options: Harness.Options = {}): HarnessTest =>
  lazy(() => {
    Matchers.install()
    return test.extend<{ harness: Harness.Harness }>({
      harness: async ({ task }, use) => {
        const harness = await Harness.create(options)
        let failure: unknown
        try {
          await use(harness)
        } finally {
          // vitest has recorded a timeout by the time fixtures are torn down.
          const timedOut = task.result?.errors?.some((error) =>
            /^Test timed out in/.test(String(error.message))
          )
          try {
            await harness.close(timedOut === true ? { timedOutAfter: task.timeout } : {})
          } catch (error) {
            failure = error
          }
        }
        if (failure !== undefined) throw failure
      }
    })
  })

/**
 * A vitest `test` with an isolated `harness` per test: its own runtime, resources, mocks and
 * trace, on virtual time; released (LIFO) after the test with a leak check.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * import { workflowTest } from "@weft/testing"
 * import { expect } from "vitest"
 *
 * const wf = Workflow.make("slow").code("wait", "await sleep(600_000); return 'done'").build()
 *
 * workflowTest("ten virtual minutes take milliseconds", async ({ harness }) => {
 *   const result = await harness.execute(wf)
 *   expect(result).toSucceed()
 *   expect(result.timing.virtualMs).toBe(600_000)
 * })
 * ```
 * @since 0.1.0
 * @category testing
 */
export const workflowTest = makeWorkflowTest()

/**
 * The harness as an Effect service, for `@effect/vitest`: provide `WorkflowTest.layer()` to each
 * `it.effect` (per test, so every test gets its own harness) and use `harness.effect.*`.
 *
 * @example
 * ```ts
 * import { it } from "@effect/vitest"
 * import { Workflow } from "@weft/graph"
 * import { WorkflowTest } from "@weft/testing"
 * import { Effect } from "effect"
 *
 * const wf = Workflow.make("w").code("a", "return 1").build()
 * it.effect("runs", () =>
 *   Effect.gen(function* () {
 *     const harness = yield* WorkflowTest.WorkflowTest
 *     const result = yield* harness.effect.execute(wf)
 *     harness.assertWorkflowSuccess(result)
 *   }).pipe(Effect.provide(WorkflowTest.layer()))
 * )
 * ```
 * @since 0.1.0
 * @category layers
 */
export class WorkflowTest extends Context.Service<WorkflowTest, Harness.Harness>()(
  "@weft/testing/WorkflowTest"
) {}

/**
 * A fresh harness for one test (released, with the leak check, when the test's scope closes).
 *
 * @example
 * ```ts
 * import { WorkflowTest } from "@weft/testing"
 * const live = WorkflowTest.layer({ time: "live" })
 * ```
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Harness.Options = {}): Layer.Layer<WorkflowTest> =>
  Layer.effect(WorkflowTest, Harness.make(options))
