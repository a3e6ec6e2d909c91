import { describe, expect, it } from "vitest"
import { Sandbox } from "@weft/sandbox"
import { Runtime } from "../src/index.js"
import { code, sandbox, task, workflow } from "./helpers.js"

describe("Runtime.run (Promise facade)", () => {
  it("runs code nodes in the default QuickJS worker sandbox", async () => {
    const wf = workflow("simple", [
      code("fetch_data", "await sleep(10); result = { data: [1, 2, 3] }")
    ])
    const result = await Runtime.run(wf)
    expect(result.status).toBe("succeeded")
    expect(result.outputs.fetch_data).toEqual({ data: [1, 2, 3] })
  })

  it("shares one process-wide sandbox across runs; closeShared stops it and the next run starts another", async () => {
    const wf = workflow("twice", [code("n", "result = 6 * 7")])
    const runs = await Promise.all([Runtime.run(wf), Runtime.run(wf), Runtime.run(wf)])
    expect(runs.map((r) => r.outputs.n)).toEqual([42, 42, 42])
    await Sandbox.closeShared()
    const again = await Runtime.run(wf)
    expect(again.outputs.n).toBe(42)
    await Sandbox.closeShared()
  })

  it("resolves with a cancelled result when the AbortSignal aborts, aborting the task's signal", async () => {
    const controller = new AbortController()
    let taskSignalAborted = false
    const wf = workflow(
      "abortable",
      [task("wait"), task("after")],
      [{ from: "wait", output: "", to: "after", input: "x" }]
    )
    const pending = Runtime.run(
      wf,
      {},
      {
        sandbox,
        signal: controller.signal,
        functions: {
          wait: (_: unknown, context: Runtime.TaskContext) =>
            new Promise(() => {
              context.signal.addEventListener("abort", () => {
                taskSignalAborted = true
              })
              controller.abort()
            }),
          after: () => 1
        }
      }
    )
    const result = await pending
    expect(result.status).toBe("cancelled")
    expect(result.nodes.wait?.status).toBe("cancelled")
    expect(result.nodes.after?.status).toBe("skipped")
    expect(result.errors[0]?._tag).toBe("ExecutionCancelled")
    expect(taskSignalAborted).toBe(true)
  })

  it("an already aborted signal runs nothing", async () => {
    let ran = false
    const wf = workflow("pre-aborted", [task("a")])
    const result = await Runtime.run(
      wf,
      {},
      {
        sandbox,
        signal: AbortSignal.abort(),
        functions: { a: () => (ran = true) }
      }
    )
    expect(result.status).toBe("cancelled")
    expect(ran).toBe(false)
  })

  it("rejects with the first error when failOnError is set", async () => {
    const wf = workflow("failing", [task("bad")])
    await expect(
      Runtime.run(
        wf,
        {},
        {
          sandbox,
          failOnError: true,
          functions: { bad: () => Promise.reject(new TypeError("nope")) }
        }
      )
    ).rejects.toMatchObject({ _tag: "NodeFailed", errorTag: "TypeError" })
  })

  it("launch() returns a handle to send events into the running execution and watch its trace", async () => {
    const wf = workflow("event_workflow", [
      code(
        "event_listener",
        `const events = []
         while (true) {
           const event = await nextEvent(5000)
           if (event === null) break
           events.push(event)
           if (event.type === "stop") break
         }
         result = { events }`
      )
    ])
    const execution = Runtime.launch(wf, {}, { sandbox })
    const seen: Array<string> = []
    const unsubscribe = execution.subscribe((event) => seen.push(event.type))
    execution.send({ type: "data", value: 1 })
    execution.send({ type: "stop" })
    const result = await execution.result
    unsubscribe()
    expect(result.outputs.event_listener).toEqual({
      events: [{ type: "data", value: 1 }, { type: "stop" }]
    })
    expect(seen).toContain("event-received")
    expect(seen.at(-1)).toBe("execution-finished")
    expect(execution.trace().length).toBe(result.trace.length)
  })
})
