// Loops: a unit of several nodes run in order once per iteration until the loop's condition
// holds (a converged value, or a condition expression run in the sandbox) or maxIterations.
import { Effect, Result } from "effect"
import { type ExecutionError, InputPathNotFound, LoopDidNotConverge } from "../ExecutionError.js"
import type { Json, Loop } from "./model.js"
import { runNode } from "./node.js"
import { toNodeError } from "./nodeErrors.js"
import { getPath, PathMiss } from "./paths.js"
import type { ExecutionState } from "./state.js"

const conditionCache = new WeakMap<Loop, boolean>()

const checkConvergence = (
  state: ExecutionState,
  loop: Loop,
  iteration: number,
  previous: { value: number | undefined }
): Effect.Effect<boolean, ExecutionError> => {
  const until = loop.until
  if (until.kind === "converged") {
    const index = state.plan.nodeIndex.get(until.node)
    const output = index === undefined ? undefined : state.outputs[index]
    const value = getPath(output, until.output === "" ? [] : until.output.split("."))
    // a typo in the path or a non-numeric value would otherwise "never converge" silently
    if (value instanceof PathMiss) {
      return Effect.fail(
        new InputPathNotFound({
          nodeId: until.node,
          input: `until (loop ${loop.id})`,
          from: until.node,
          path: until.output,
          missing: value.missing,
          available: [...value.available],
          message: `loop ${loop.id} converges on "${until.output}" of node ${until.node}, which does not exist in its output (no "${value.missing}"; available: ${value.available.length === 0 ? "(none)" : value.available.join(", ")})`
        })
      )
    }
    if (typeof value !== "number" || !Number.isFinite(value)) {
      return Effect.fail(
        new LoopDidNotConverge({
          loopId: loop.id,
          iterations: iteration,
          message: `loop ${loop.id} converges on "${until.output}" of node ${until.node}, but its value in iteration ${iteration} is not a number (got ${JSON.stringify(value) ?? String(value)})`
        })
      )
    }
    const number: number | undefined = value
    const before = previous.value
    previous.value = number
    return Effect.succeed(
      iteration > 1 &&
        number !== undefined &&
        before !== undefined &&
        Math.abs(number - before) <= until.tolerance
    )
  }
  const outputs: Record<string, Json> = {}
  for (const id of loop.nodes) {
    const index = state.plan.nodeIndex.get(id)
    if (index !== undefined) outputs[id] = state.outputs[index] ?? null
  }
  const sandbox = state.sandbox!
  const run = (source: string) =>
    sandbox.run({ source, inputs: { outputs, iteration }, label: `loop ${loop.id} condition` })
  const asExpression = conditionCache.get(loop)
  const evaluate: Effect.Effect<Json | undefined, unknown> =
    asExpression === false
      ? Effect.map(run(until.source), (r) => r.output)
      : Effect.map(run(`return (${until.source}\n)`), (r) => r.output).pipe(
          Effect.tap(() => Effect.sync(() => conditionCache.set(loop, true))),
          Effect.catch((error: unknown) =>
            (error as { readonly _tag?: unknown } | null)?._tag === "SandboxSyntaxError" &&
            asExpression === undefined
              ? Effect.map(run(until.source), (r) => {
                  conditionCache.set(loop, false)
                  return r.output
                })
              : Effect.fail(error)
          )
        )
  return Effect.map(evaluate, Boolean).pipe(
    Effect.mapError((error) => toNodeError(`loop ${loop.id}`, iteration, error))
  )
}

export const runLoop = (state: ExecutionState, unit: number): Effect.Effect<boolean> =>
  Effect.gen(function* () {
    const planUnit = state.plan.units[unit]!
    const loop = planUnit.loop!
    const previous: { value: number | undefined } = { value: undefined }
    for (let iteration = 1; iteration <= loop.maxIterations; iteration++) {
      state.emit({
        type: "loop-iteration",
        at: state.now(),
        executionId: state.executionId,
        loopId: loop.id,
        iteration
      })
      for (const index of planUnit.nodes) {
        const ok = yield* runNode(state, index, iteration)
        if (!ok) return false
      }
      const converged = yield* Effect.result(checkConvergence(state, loop, iteration, previous))
      if (Result.isFailure(converged)) {
        state.recordUnhandled(unit, converged.failure)
        return false
      }
      if (converged.success) {
        state.emit({
          type: "loop-finished",
          at: state.now(),
          executionId: state.executionId,
          loopId: loop.id,
          iterations: iteration,
          converged: true
        })
        return true
      }
    }
    state.emit({
      type: "loop-finished",
      at: state.now(),
      executionId: state.executionId,
      loopId: loop.id,
      iterations: loop.maxIterations,
      converged: false
    })
    if (loop.onMaxIterations === "succeed") return true
    state.recordUnhandled(
      unit,
      new LoopDidNotConverge({
        loopId: loop.id,
        iterations: loop.maxIterations,
        message: `loop ${loop.id} did not converge within ${loop.maxIterations} iterations`
      })
    )
    return false
  })
