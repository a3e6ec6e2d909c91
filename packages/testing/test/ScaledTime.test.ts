import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { Workflow } from "@weft/graph"
import { Async, Harness, VirtualTime } from "@weft/testing"
import { Cause, Effect, Exit } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

// A loopback server answering after 200 ms of real time.
let server: Server
let url: string
beforeAll(async () => {
  server = createServer((_req, res) => {
    setTimeout(() => res.end(JSON.stringify({ ok: true })), 200)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

describe("scaled time: the wall clock, N times faster", () => {
  it("a 2 s sleep at 20x waits about 100 real ms, and the clock reads 2 s later", async () => {
    const { timing } = await VirtualTime.measurePromise(Effect.sleep("2 seconds"), {
      mode: "scaled",
      scale: 20
    })
    expect(timing.mode).toBe("scaled")
    expect(timing.virtualMs).toBeGreaterThanOrEqual(2_000)
    expect(timing.realMs).toBeGreaterThanOrEqual(95)
    // loaded machine: generous upper bound, still far below 2 s
    expect(timing.realMs).toBeLessThan(1_500)
  })

  it("real work does not pause it: a node timeout fires during a slow real call", async () => {
    const wf = Workflow.make("slow-call").task("call", "call", { timeout: "1 second" }).build()
    const call = () => Effect.tryPromise(() => fetch(url).then((r) => r.json() as Promise<unknown>))
    // scaled 50x: the 1 s timeout is 20 real ms, the call takes 200 real ms
    const scaled = await Harness.create({ time: { mode: "scaled", scale: 50 } })
    try {
      scaled.registerFunction("call", call)
      const result = await scaled.execute(wf)
      scaled.assertWorkflowFailure(result, { node: "call", tag: "NodeTimedOut" })
    } finally {
      await scaled.close()
    }
    // on self-advancing virtual time the same call holds the clock still and succeeds
    const auto = await Harness.create()
    try {
      auto.registerFunction("call", call)
      auto.assertWorkflowSuccess(await auto.execute(wf))
    } finally {
      await auto.close()
    }
  })

  it("rejects a scale that is not a positive number, naming the option", async () => {
    const exit = await Effect.runPromiseExit(
      VirtualTime.run(Effect.void, { mode: "scaled", scale: 0 })
    )
    expect(Exit.isFailure(exit)).toBe(true)
    const defect = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
    expect(defect).toBeInstanceOf(Async.HarnessOptionInvalid)
    expect((defect as Async.HarnessOptionInvalid).option).toBe("scale")
  })
})
