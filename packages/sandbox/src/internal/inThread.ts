import { Effect, Result } from "effect"
import { compileWasm, Engine, instantiationFailed, type WasmModule } from "./engine.js"
import { withRealWork } from "./realWork.js"
import type { Driver, SessionHandle } from "./run.js"

let wasm: WasmModule | undefined
/** QuickJS's compiled module, shared by every driver in this process. */
export const sharedWasm = (): WasmModule => {
  wasm ??= compileWasm()
  return wasm
}

/** Runs sessions on this thread: fastest, but a native-heavy loop can overshoot the deadline. */
export const makeInThreadDriver = (engine: Engine): Driver => ({
  open: (job, label) =>
    Effect.gen(function* () {
      // Instantiating a QuickJS instance is real asynchronous work (WebAssembly instantiation).
      const opened = yield* Effect.acquireRelease(
        withRealWork(
          `sandbox:${label}`,
          Effect.tryPromise({ try: () => engine.open(job), catch: (error) => error })
        ).pipe(Effect.result),
        (result) =>
          Effect.sync(() => (Result.isSuccess(result) ? result.success.close() : undefined))
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
        start: Effect.sync(() => session.start()),
        resume: (results) => Effect.sync(() => session.resume(results))
      }
      return handle
    })
})

/** A fresh engine (its own pool of reusable QuickJS instances). */
export const makeEngine = (): Engine => new Engine(sharedWasm())
