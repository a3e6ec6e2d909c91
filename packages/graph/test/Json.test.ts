import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Schema } from "effect"
import fc from "fast-check"
import { Loop, Workflow } from "../src/index.js"
import { fastDecode } from "../src/internal/fastDecode.js"
import { applyEdit, edit, validWorkflowJson } from "./arbitraries.js"

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
