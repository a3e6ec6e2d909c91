import { Workflow } from "@weft/graph"
import { Async, workflowTest } from "@weft/testing"
import { Effect } from "effect"
import { describe, expect } from "vitest"

const optionError = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(Async.HarnessOptionInvalid)
  return error as Async.HarnessOptionInvalid
}

describe("one clock: harness waits are virtual", () => {
  workflowTest(
    "harness.waitFor times out after 3 virtual seconds, not 3 real ones",
    async ({ harness }) => {
      const started = performance.now()
      const error = await harness
        .waitFor(() => false, { timeout: "3 seconds" })
        .then(
          () => undefined,
          (e: unknown) => e
        )
      expect(String((error as Error).message)).toMatch(/still false after 3s/)
      expect(harness.now()).toBe(3000)
      expect(performance.now() - started).toBeLessThan(2_000)
    }
  )

  workflowTest(
    "assertEventually and assertConverges run on the harness clock too",
    async ({ harness }) => {
      let level = 0
      void harness.run(
        Effect.forEach([1, 2, 3], (n) =>
          Effect.andThen(
            Effect.sleep("1 minute"),
            Effect.sync(() => {
              level = n
            })
          )
        )
      )
      await harness.assertEventually(() => expect(level).toBe(3), {
        timeout: "5 minutes",
        interval: "1 second"
      })
      expect(harness.now()).toBe(180_000)
      const settled = await harness.assertConverges(() => level, {
        tolerance: 0,
        interval: "1 second"
      })
      expect(settled.samples).toHaveLength(5)
      expect(harness.now()).toBe(184_000)
    }
  )

  workflowTest("Async.*Promise helpers stay on real time", async () => {
    let ready = false
    setTimeout(() => {
      ready = true
    }, 20)
    await Async.waitForPromise(() => ready, { timeout: "2 seconds" })
    expect(ready).toBe(true)
  })
})

describe("assertConverges: minimum samples and oscillation", () => {
  const series = (values: ReadonlyArray<number>) => {
    let i = 0
    return () => values[Math.min(i++, values.length - 1)]!
  }

  workflowTest(
    "needs 5 samples by default (a series that has not moved is no proof)",
    async ({ harness }) => {
      const five = await harness.assertConverges(series([7, 7, 7, 7, 7, 7]), { tolerance: 0.1 })
      expect(five.samples).toEqual([7, 7, 7, 7, 7])
      const eight = await harness.assertConverges(series([7, 7, 7, 7, 7, 7, 7, 7, 7]), {
        tolerance: 0.1,
        minSamples: 8
      })
      expect(eight.samples).toHaveLength(8)
    }
  )

  workflowTest("rejects an oscillation inside the tolerance band", async ({ harness }) => {
    const error = await harness
      .assertConverges(series([10, 10.2, 10, 10.2, 10, 10.2, 10, 10.2, 10, 10.2]), {
        tolerance: 1,
        samples: 10
      })
      .then(
        () => undefined,
        (e: unknown) => e as Error
      )
    expect(error?.message).toMatch(/the values oscillate/)
  })

  workflowTest("accepts a damped oscillation", async ({ harness }) => {
    const ok = await harness.assertConverges(series([10, 12, 9, 10.5, 9.8, 10.1, 10]), {
      tolerance: 1
    })
    expect(ok.value).toBe(10.1)
  })
})

describe("runConcurrentSettled keeps every outcome in place", () => {
  workflowTest("values and errors in order", async ({ harness }) => {
    const outcomes = await harness.runConcurrentSettled([
      async () => 1,
      async () => {
        throw new Error("second failed")
      },
      () => 3
    ])
    expect(outcomes).toEqual([
      { _tag: "Success", value: 1 },
      { _tag: "Failure", error: new Error("second failed") },
      { _tag: "Success", value: 3 }
    ])
  })
})

describe("harness assertions count toward expect.assertions(n)", () => {
  const wf = Workflow.make("w").task("a", "a").build()
  workflowTest("two harness assertions satisfy expect.assertions(2)", async ({ harness }) => {
    expect.assertions(2)
    harness.registerFunction("a", () => ({ v: 1 }))
    const result = await harness.execute(wf)
    harness.assertWorkflowSuccess(result)
    harness.assertNodeOutput(result, "a", 1, "v")
  })

  workflowTest("each call counts once, async ones included", async ({ harness }) => {
    harness.registerFunction("a", () => ({ v: 1 }))
    const result = await harness.execute(wf)
    const before = expect.getState().assertionCalls
    harness.assertExecutionCount("a", 1)
    await harness.waitFor(() => true)
    await harness.assertTimeLimit("1 second", () => 1)
    expect(expect.getState().assertionCalls - before).toBe(3)
    harness.assertWorkflowSuccess(result)
  })
})

describe("harness limits are validated, naming the option", () => {
  workflowTest("assertTimeLimit rejects a negative or NaN limit", async ({ harness }) => {
    const negative = await optionError(harness.assertTimeLimit(-1, () => 1))
    expect(negative).toMatchObject({ helper: "assertTimeLimit", option: "limit", value: "-1" })
    const nan = await optionError(harness.assertTimeLimit(Number.NaN, () => 1))
    expect(nan.message).toBe(
      'assertTimeLimit: limit must be a non-negative duration (e.g. 500 or "2 seconds"), got NaN'
    )
  })

  workflowTest("waitFor, advance and assertConverges reject bad options", async ({ harness }) => {
    expect(await optionError(harness.waitFor(() => true, { timeout: -1 }))).toMatchObject({
      helper: "waitFor",
      option: "timeout"
    })
    expect(await optionError(harness.advance(-1))).toMatchObject({
      helper: "advance",
      option: "duration"
    })
    expect(
      await optionError(harness.assertConverges(() => 1, { tolerance: Number.NaN }))
    ).toMatchObject({ helper: "assertConverges", option: "tolerance" })
  })

  workflowTest("delayNode throws at once", async ({ harness }) => {
    expect(() => harness.delayNode("a", -1)).toThrow(Async.HarnessOptionInvalid)
    expect(() => harness.delayNode("a", "soon" as never)).toThrow(/delayNode: duration must be/)
  })
})
