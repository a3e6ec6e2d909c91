import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Schema } from "effect"
import fc from "fast-check"
import { Loop, Workflow } from "../src/index.js"
import { fastDecode } from "../src/internal/fastDecode.js"
import { applyEdit, edit, validWorkflowJson, validWorkflowJsonV1 } from "./arbitraries.js"
import { jsonFailureOf } from "./helpers.js"

const sample = Workflow.make("sample", {
  name: "Sample",
  description: "all features",
  metadata: { owner: "ops", tags: ["a"] }
})
  .task("start", "begin", { description: "kick off", resources: ["db", "cache"] })
  .code("guess", "return (previous ?? 1) / 2", {
    timeout: "2 seconds",
    retry: { maxAttempts: 3, jitter: "none" }
  })
  .code("report", "return value")
  .connect("start", "seed", "guess", "seed")
  .connect("guess", "", "guess", "previous")
  .connect("guess", "value", "report", "value")
  .loop("halve", ["guess"], {
    maxIterations: 30,
    until: Loop.converged("guess", "value", 0.01),
    onMaxIterations: "succeed"
  })
  .sequential()
  .concurrency(2)
  .timeout("1 minute")
  .nodeTimeout("10 seconds")
  .deadlockTimeout("20 seconds")
  .continueOnFailure()
  .build()

// every version-2 feature: delay and event nodes, failure connections, concurrency, multi-feed
const waits = Workflow.make("waits")
  .task("place", { concurrency: { key: "customer:{order.customerId}", limit: 1 } })
  .delay("cooldown", "1 second", { description: "settle" })
  .delay("due", { until: "dueAt" })
  .event("paid", "payment.received", { timeout: "1 hour" })
  .task("remind")
  .task("ship")
  .connect("place", "", "cooldown", "order")
  .connect("cooldown", "order.dueAt", "due", "dueAt")
  .connect("due", "", "paid", "order")
  .onFailure("paid", "", "remind", "error")
  .connect("paid", "", "ship", "payment")
  .connect("remind", "", "ship", "payment")
  .build()

describe("JSON form", () => {
  it("writes version 2 and every field, durations in milliseconds", () => {
    const json = Workflow.toJSON(sample) as { [key: string]: unknown }
    expect(json.version).toBe(2)
    expect(json.settings).toEqual({
      mode: "sequential",
      concurrency: 2,
      timeout: 60_000,
      nodeTimeout: 10_000,
      deadlockTimeout: 20_000,
      failureMode: "continue"
    })
    expect(Object.keys(json)).toEqual([
      "version",
      "id",
      "name",
      "description",
      "metadata",
      "nodes",
      "connections",
      "loops",
      "settings"
    ])
  })

  it("round-trips losslessly through JSON text", () => {
    const text = JSON.stringify(Workflow.toJSON(sample))
    expect(Workflow.fromJSONSync(text)).toEqual(sample)
    expect(Effect.runSync(Workflow.fromJSON(JSON.parse(text)))).toEqual(sample)
  })

  it("writes delay and event nodes, failure connections and concurrency, and reads them back", () => {
    const json = Workflow.toJSON(waits) as {
      nodes: ReadonlyArray<unknown>
      connections: ReadonlyArray<unknown>
    }
    expect(json.nodes).toEqual([
      {
        kind: "task",
        id: "place",
        function: "place",
        concurrency: { key: "customer:{order.customerId}", limit: 1 }
      },
      { kind: "delay", id: "cooldown", duration: 1000, description: "settle" },
      { kind: "delay", id: "due", until: "dueAt" },
      { kind: "event", id: "paid", event: "payment.received", timeout: 3_600_000 },
      { kind: "task", id: "remind", function: "remind" },
      { kind: "task", id: "ship", function: "ship" }
    ])
    expect(json.connections[3]).toEqual({
      from: "paid",
      output: "",
      to: "remind",
      input: "error",
      on: "failure"
    })
    const text = JSON.stringify(json)
    expect(fastDecode(JSON.parse(text))).toBeDefined()
    expect(Workflow.fromJSONSync(text)).toEqual(waits)
    expect(Schema.encodeSync(Workflow.WorkflowSchema)(waits)).toEqual(Workflow.toJSON(waits))
  })

  it("reads version 1 documents and returns them as version 2", () => {
    const wf = Workflow.fromJSONSync({
      version: 1,
      id: "w",
      nodes: [{ kind: "task", id: "a", function: "a" }]
    })
    expect(wf.version).toBe(2)
    expect(wf).toEqual(Workflow.make("w").task("a").build())
  })

  it("UnsupportedVersion: a version-1 document using version-2 features names each one", () => {
    const json = { ...(Workflow.toJSON(waits) as { [key: string]: unknown }), version: 1 }
    const error = jsonFailureOf(json)
    expect(error.issues.map((issue) => [issue.code, issue.path])).toEqual([
      ["UnsupportedVersion", "nodes[0].concurrency"],
      ["UnsupportedVersion", "nodes[1].kind"],
      ["UnsupportedVersion", "nodes[2].kind"],
      ["UnsupportedVersion", "nodes[3].kind"],
      ["UnsupportedVersion", "connections[3].on"]
    ])
    expect(error.issues[1]?.message).toBe(
      'delay nodes need version 2, but the workflow says version 1; set "version": 2'
    )
  })

  it("UnknownField: a field a delay node does not have lists the ones it does", () => {
    const error = jsonFailureOf({
      version: 2,
      id: "w",
      nodes: [{ kind: "delay", id: "d", duraton: 5 }]
    })
    expect(error.issues[0]).toEqual({
      code: "UnknownField",
      path: "nodes[0].duraton",
      message:
        "unknown field 'duraton' in a delay node (nodes[0]). Did you mean 'duration'? Allowed fields: kind, id, duration, until, description, timeout, retry, resources, concurrency"
    })
  })

  it("InvalidField: a mistyped 'on' in the JSON form", () => {
    const error = jsonFailureOf({
      version: 2,
      id: "w",
      nodes: [
        { kind: "task", id: "a", function: "a" },
        { kind: "task", id: "b", function: "b" }
      ],
      connections: [{ from: "a", output: "", to: "b", input: "x", on: "error" }]
    })
    expect(error.issues.map((issue) => [issue.code, issue.path])).toEqual([
      ["InvalidField", "connections[0].on"]
    ])
  })

  it("toJSON returns fresh data: changing it does not change the workflow", () => {
    const json = Workflow.toJSON(sample) as { nodes: Array<{ retry?: { maxAttempts: number } }> }
    json.nodes[1]!.retry!.maxAttempts = 99
    expect(sample.nodes[1]?.retry).toEqual({ maxAttempts: 3, jitter: "none" })
  })

  it("agrees with the Workflow Schema's own encoding", () => {
    expect(Schema.encodeSync(Workflow.WorkflowSchema)(sample)).toEqual(Workflow.toJSON(sample))
  })

  it("fills defaults for omitted connections, loops and settings", () => {
    const wf = Workflow.fromJSONSync({
      version: 1,
      id: "w",
      nodes: [{ kind: "task", id: "a", function: "a" }]
    })
    expect(wf).toEqual(Workflow.make("w").task("a").build())
  })

  it("runs the semantic checks after decoding, with the same paths", () => {
    const json = Workflow.toJSON(sample) as { connections: Array<{ to: string }> }
    json.connections[0]!.to = "nobody"
    const exit = Effect.runSyncExit(Workflow.fromJSON(json))
    expect(
      Exit.isFailure(exit) &&
        String(
          exit.cause.reasons[0]?._tag === "Fail" && exit.cause.reasons[0].error.issues[0]?.path
        )
    ).toBe("connections[0].to")
  })

  it("passes checkSyntax through", () => {
    const exit = Effect.runSyncExit(
      Workflow.fromJSON(Workflow.toJSON(sample), {
        checkSyntax: (source) => (source.includes("??") ? "bad" : undefined)
      })
    )
    expect(Exit.isFailure(exit)).toBe(true)
    if (Exit.isSuccess(exit)) return
    const reason = exit.cause.reasons[0]
    expect(reason?._tag).toBe("Fail")
    if (reason?._tag !== "Fail") return
    expect(reason.error.issues).toEqual([
      {
        code: "SyntaxError",
        path: "nodes[1].source",
        message: "code node 'guess' does not parse: bad"
      }
    ])
  })

  it("property: random valid workflows round-trip through JSON text", () => {
    fc.assert(
      fc.property(validWorkflowJson, (json) => {
        const decoded = Workflow.fromJSONSync(JSON.stringify(json))
        expect(Workflow.toJSON(decoded)).toEqual(json)
        expect(Workflow.fromJSONSync(Workflow.toJSON(decoded))).toEqual(decoded)
        expect(Workflow.topologicalOrder(decoded)).toHaveLength(decoded.nodes.length)
      }),
      { numRuns: 300 }
    )
  })

  it("property: a valid version-1 document reads as the same workflow with version 2", () => {
    fc.assert(
      fc.property(validWorkflowJsonV1, (json) => {
        const decoded = Workflow.fromJSONSync(json)
        expect(decoded.version).toBe(2)
        expect(Workflow.toJSON(decoded)).toEqual({ ...json, version: 2 })
        expect(Workflow.fromJSONSync({ ...json, version: 2 })).toEqual(decoded)
      }),
      { numRuns: 100 }
    )
  })

  it("property: random edits are either valid or rejected with a typed WorkflowInvalid, never a crash", () => {
    fc.assert(
      fc.property(
        validWorkflowJson,
        fc.array(edit, { minLength: 1, maxLength: 3 }),
        (json, edits) => {
          const edited = edits.reduce(applyEdit, json as Workflow.Json)
          const exit = Effect.runSyncExit(Workflow.fromJSON(edited))
          if (Exit.isFailure(exit)) {
            const reason = exit.cause.reasons[0]
            expect(reason?._tag).toBe("Fail")
            if (reason?._tag !== "Fail") return
            expect(reason.error._tag).toBe("WorkflowInvalid")
            expect(reason.error.issues.length).toBeGreaterThan(0)
            for (const issue of reason.error.issues) expect(issue.message.length).toBeGreaterThan(0)
          } else {
            expect(Workflow.fromJSONSync(Workflow.toJSON(exit.value))).toEqual(exit.value)
          }
          // validating the raw edited value (no Schema) must not throw either
          expect(() => Workflow.issues(edited as unknown as Workflow.Workflow)).not.toThrow()
        }
      ),
      { numRuns: Number(process.env.GRAPH_PROPERTY_RUNS ?? 500) }
    )
  })

  it("property: the fast decoding path accepts only what the Schema accepts, with the same result", () => {
    const decode = Schema.decodeUnknownExit(Workflow.WorkflowSchema)
    fc.assert(
      fc.property(validWorkflowJson, fc.array(edit, { maxLength: 3 }), (json, edits) => {
        const edited = edits.reduce(applyEdit, json as Workflow.Json)
        const fast = fastDecode(edited)
        const slow = decode(edited, { errors: "all", onExcessProperty: "error" })
        if (fast !== undefined) {
          expect(Exit.isSuccess(slow)).toBe(true)
          if (Exit.isSuccess(slow)) expect(fast).toEqual(slow.value)
        }
      }),
      { numRuns: Number(process.env.GRAPH_PROPERTY_RUNS ?? 500) }
    )
  })

  it("the fast path leaves odd values to the Schema", () => {
    const base = { version: 1, id: "w", nodes: [] }
    const sparse: Array<unknown> = []
    sparse[1] = { kind: "task", id: "a", function: "a" }
    expect(fastDecode(base)).toBeDefined()
    expect(fastDecode({ ...base, name: undefined })).toBeUndefined()
    expect(fastDecode({ ...base, nodes: sparse })).toBeUndefined()
    expect(fastDecode({ ...base, metadata: { at: new Date(0) } })).toBeUndefined()
    expect(fastDecode({ ...base, extra: 1 })).toBeUndefined()
  })
})
