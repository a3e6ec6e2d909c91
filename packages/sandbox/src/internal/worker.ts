// Entry point of a sandbox worker thread. Loads the engine from the URL the parent passes, so
// the same file works from TypeScript sources (Node strips types) and from the built dist.
// One worker hosts many sessions (one QuickJS instance each): while a session is suspended in a
// host call, the worker runs steps of other sessions. It runs one step at a time, never blocks
// waiting for a session, and prepares fresh contexts ahead when it has nothing else to do.
import { parentPort, workerData } from "node:worker_threads"
import type { HostResult, Job, Session, Step, WasmModule } from "./engine.js"

type EngineModule = typeof import("./engine.js")

export type ToWorker =
  | { readonly type: "start"; readonly sid: number; readonly job: Job }
  | { readonly type: "resume"; readonly sid: number; readonly results: ReadonlyArray<HostResult> }
  | { readonly type: "close"; readonly sid: number }

export type FromWorker =
  | { readonly type: "ready" }
  /** The start needs a new QuickJS instance (not the guest's time): the parent extends its timer. */
  | { readonly type: "instantiating"; readonly sid: number }
  | { readonly type: "step"; readonly sid: number; readonly step: Step }

export interface WorkerData {
  readonly engineUrl: string
  readonly wasmModule: WasmModule
  /** `Int32Array` over a `SharedArrayBuffer`: [0] = id of the session the parent wants stopped. */
  readonly abort: SharedArrayBuffer
  /** Memory sizes (bytes) to prepare contexts for at start-up. */
  readonly warmSizes: ReadonlyArray<number>
}

const data = workerData as WorkerData
const port = parentPort
if (port !== null) {
  const { Engine, instantiationFailed } = (await import(data.engineUrl)) as EngineModule
  const engine = new Engine(data.wasmModule, new Int32Array(data.abort))
  const sessions = new Map<number, Session>()
  const reply = (message: FromWorker): void => port.postMessage(message)
  const settle = (sid: number, step: Step): void => {
    if (step._tag !== "pending") sessions.delete(sid)
    reply({ type: "step", sid, step })
  }
  port.on("message", (message: ToWorker) => {
    if (message.type === "close") {
      sessions.get(message.sid)?.close()
      sessions.delete(message.sid)
    } else if (message.type === "start") {
      const sid = message.sid
      const ready = engine.openReady(message.job, sid)
      if (ready !== undefined) {
        sessions.set(sid, ready)
        settle(sid, ready.start())
        return
      }
      reply({ type: "instantiating", sid })
      engine.open(message.job, sid).then(
        (opened) => {
          sessions.set(sid, opened)
          settle(sid, opened.start())
        },
        (error: unknown) => settle(sid, instantiationFailed(error))
      )
    } else {
      const session = sessions.get(message.sid)
      if (session !== undefined) settle(message.sid, session.resume(message.results))
      else
        settle(
          message.sid,
          instantiationFailed(new Error("the session is gone (closed or never started)"))
        )
    }
  })
  await engine.warm(data.warmSizes)
  reply({ type: "ready" })
}
