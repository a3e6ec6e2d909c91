import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Runtime } from "../src/index.js"
import { sandbox, task, workflow } from "./helpers.js"

// random DAGs: edges only from lower to higher index
const dag = fc.integer({ min: 1, max: 25 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    edges: fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: n * 2 }).map((pairs) => {
      const seen = new Set<string>()
      return pairs
        .map(([a, b]): readonly [number, number] => (a < b ? [a, b] : [b, a]))
        .filter(([a, b]) => {
          const key = `${a}-${b}`
          if (a === b || seen.has(key)) return false
          seen.add(key)
          return true
        })
    }),
    limit: fc.oneof(fc.constant<"unbounded">("unbounded"), fc.integer({ min: 1, max: 4 })),
    durations: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: n, maxLength: n })
  })
)

describe("scheduling properties", () => {
  it("every node runs once, after all its predecessors, never above the limit; unbounded = critical path", async () => {
    await fc.assert(
      fc.asyncProperty(dag, async ({ n, edges, limit, durations }) => {
        const ids = Array.from({ length: n }, (_, i) => `n${i}`)
        const wf = workflow(
          "random",
          ids.map((id) => task(id, { fn: "work" })),
          edges.map(([a, b], k) => ({ from: ids[a]!, output: "", to: ids[b]!, input: `in${k}` })),
          { concurrency: limit }
        )
        const finished = new Map<string, number>()
        const started = new Map<string, number>()
        let active = 0
        let maxActive = 0
        const work = (_: unknown, context: Runtime.TaskContext) =>
          Effect.gen(function* () {
            const index = Number(context.nodeId.slice(1))
            active++
            maxActive = Math.max(maxActive, active)
            started.set(
              context.nodeId,
              yield* Effect.clockWith((c) => Effect.succeed(c.currentTimeMillisUnsafe()))
            )
            yield* Effect.sleep(durations[index]! * 100)
            active--
            finished.set(
              context.nodeId,
              yield* Effect.clockWith((c) => Effect.succeed(c.currentTimeMillisUnsafe()))
            )
            return index
          })
        const result = await Effect.runPromise(
          Effect.gen(function* () {
            const fiber = yield* Effect.forkChild(Runtime.execute(wf, {}, { functions: { work } }))
            yield* TestClock.adjust(n * 600)
            return yield* Fiber.join(fiber)
          }).pipe(Effect.provide(TestClock.layer()), Effect.provide(sandbox))
        )
        expect(result.status).toBe("succeeded")
        for (const id of ids) expect(result.counts[id]).toBe(1)
        for (const [a, b] of edges)
          expect(started.get(ids[b]!)!).toBeGreaterThanOrEqual(finished.get(ids[a]!)!)
        if (limit !== "unbounded") expect(maxActive).toBeLessThanOrEqual(limit)
        else {
          // dependency-driven: the run takes exactly the critical path
          const longest: Array<number> = []
          for (let i = 0; i < n; i++) {
            const preds = edges.filter(([, b]) => b === i).map(([a]) => longest[a]!)
            longest.push(Math.max(0, ...preds) + durations[i]! * 100)
          }
          expect(result.duration).toBe(Math.max(...longest))
        }
      }),
      { numRuns: 60 }
    )
  })
})
