import { Harness, workflowTest } from "@weft/testing"
import { describe, expect, it, onTestFinished } from "vitest"

// A factory that waits on a real (unref'd) timer: real work the harness must wait for.
const slowFactory = () =>
  new Promise<{ ok: true }>((resolve) => {
    setTimeout(() => resolve({ ok: true }), 10_000).unref()
  })

describe("a timed-out test's report", () => {
  it("says it timed out first, then what was left, with non-zero counts only", async () => {
    const harness = await Harness.create()
    void harness.resource("db", slowFactory).catch(() => {})
    await new Promise((resolve) => setTimeout(resolve, 20))
    const error = await harness.close({ timedOutAfter: 5000 }).then(
      () => undefined,
      (e: unknown) => e as Harness.LeakDetected
    )
    expect(error?._tag).toBe("LeakDetected")
    const [first, ...rest] = error!.message.split("\n")
    expect(first).toBe(
      "the test timed out after 5s while waiting on real work: resource db factory. Left behind (cleaned up):"
    )
    expect(rest.join("\n")).toMatch(/1 execution or harness call still running at teardown/)
    expect(error!.message).not.toMatch(/\b0 /)
  })

  it("without a timeout it is a plain leak report", async () => {
    const harness = await Harness.create()
    void harness.resource("db", slowFactory).catch(() => {})
    await new Promise((resolve) => setTimeout(resolve, 20))
    const error = await harness.close().then(
      () => undefined,
      (e: unknown) => e as Harness.LeakDetected
    )
    expect(error?.message.split("\n")[0]).toBe("leak check: 1 thing outlived the test:")
  })

  it("teardown does not wait for a hung acquisition; a late value is released at once", async () => {
    const harness = await Harness.create({ leakCheck: false })
    let disposed = 0
    const late = () =>
      new Promise<{ [Symbol.asyncDispose]: () => Promise<void> }>((resolve) => {
        setTimeout(
          () =>
            resolve({
              [Symbol.asyncDispose]: async () => {
                disposed++
              }
            }),
          50
        )
      })
    void harness.resource("conn", late).catch(() => {})
    await new Promise((resolve) => setTimeout(resolve, 10))
    await harness.close()
    // had close waited for the acquisition, the value would have been released by now
    expect(disposed).toBe(0)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(disposed).toBe(1)
  })

  // The fixture passes vitest's timeout to close(): the next test reads what this one reported.
  let reported: ReadonlyArray<string> = []
  workflowTest.fails("(expected to time out)", { timeout: 300 }, async ({ harness }) => {
    onTestFinished(({ task }) => {
      reported = (task.result?.errors ?? []).map((e) => String(e.message))
    })
    await harness.resource("db", slowFactory)
  })

  it("through workflowTest, the report of a vitest timeout leads with the timeout", () => {
    expect(reported[0]).toMatch(/^Test timed out in 300ms/)
    expect(
      reported.some((m) =>
        m.startsWith(
          "the test timed out after 300ms while waiting on real work: resource db factory"
        )
      )
    ).toBe(true)
  })
})
