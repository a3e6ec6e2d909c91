import { Effect, Result } from "effect"
import { compileWasm, Engine, instantiationFailed, type Step, type WasmModule } from "./engine.js"
import { withRealWork } from "./realWork.js"
import type { Driver, SessionHandle } from "./run.js"

let wasm: WasmModule | undefined
/**
 * QuickJS's compiled module, shared by every driver in this process and kept for its lifetime:
 * compiling it again costs ~50 ms per cold start, and releasing it did not return measurable
 * memory (see the README's memory notes).
 */
export const sharedWasm = (): WasmModule => {
  wasm ??= compileWasm()
  return wasm
}

const suspendedLimit = (max: number): Step => ({
  _tag: "failed",
  failure: {
    kind: "suspendedLimit",
    name: "SuspendedLimit",
    message: `The code suspended in a host call while this thread already held ${max} suspended runs (maxSuspendedPerWorker)`,
    line: undefined,
    callId: undefined,
    size: undefined
  },
  logs: []
})

/**
 * Runs sessions on this thread: fastest, but a native-heavy loop can overshoot the deadline and
 * blocks the thread meanwhile — trusted code only. Sessions suspended in host calls stay
 * resident (up to `maxSuspended`) while other sessions run.
 */
export const makeInThreadDriver = (engine: Engine, maxSuspended: number): Driver => {
  let suspendedCount = 0
  // Steps run synchronously on this thread: nothing can observe it busy, and nothing queues.
  return {
    maxSuspended,
    stats: () => ({ workers: 1, busy: 0, suspended: suspendedCount, queued: 0 }),
    open: (job, options) =>
      Effect.gen(function* () {
        let suspended = false
        const track = (step: Step): Step => {
          if (suspended) {
            suspended = false
            suspendedCount--
          }
          if (step._tag !== "pending") return step
          if (suspendedCount >= maxSuspended) return suspendedLimit(maxSuspended)
          suspended = true
          suspendedCount++
          return step
        }
        // A context prepared ahead opens synchronously; instantiating a QuickJS instance is real
        // asynchronous work (WebAssembly instantiation).
        const ready = engine.openReady(job, 0)
        const opened =
          ready !== undefined
            ? Result.succeed(ready)
            : yield* withRealWork(
                `sandbox:${options.label}`,
                Effect.tryPromise({ try: () => engine.open(job), catch: (error) => error })
              ).pipe(Effect.result)
        yield* Effect.addFinalizer(() =>
          Effect.sync(() => {
            if (suspended) {
              suspended = false
              suspendedCount--
            }
            if (Result.isSuccess(opened)) opened.success.close()
          })
        )
        if (Result.isFailure(opened)) {
          const failed = instantiationFailed(opened.failure)
          const handle: SessionHandle = {
            start: Effect.succeed(failed),
            resume: () => Effect.succeed(failed)
          }
          return handle
        }
        const session = opened.success
        const handle: SessionHandle = {
          start: Effect.flatMap(options.onStart, () =>
            withRealWork(
              `sandbox:${options.label}`,
              Effect.sync(() => track(session.start()))
            )
          ),
          resume: (results) => Effect.sync(() => track(session.resume(results)))
        }
        return handle
      })
  }
}

/** A fresh engine (its own pool of reusable QuickJS instances). */
export const makeEngine = (): Engine => new Engine(sharedWasm())
