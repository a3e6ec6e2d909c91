// Entry point of a sandbox worker thread. Loads the engine from the URL the parent passes, so
// the same file works from TypeScript sources (Node strips types) and from the built dist.
import { parentPort, workerData } from "node:worker_threads"
import type { HostResult, Job, Session, Step, WasmModule } from "./engine.js"

type EngineModule = typeof import("./engine.js")

export type ToWorker =
  | { readonly type: "start"; readonly seq: number; readonly job: Job }
  | { readonly type: "resume"; readonly seq: number; readonly results: ReadonlyArray<HostResult> }
  | { readonly type: "close"; readonly seq: number }

export type FromWorker =
  | { readonly type: "ready" }
  | { readonly type: "step"; readonly seq: number; readonly step: Step }

const data = workerData as { readonly engineUrl: string; readonly wasmModule: WasmModule }
const port = parentPort
if (port !== null) {
  const { Engine, instantiationFailed } = (await import(data.engineUrl)) as EngineModule
  const engine = new Engine(data.wasmModule)
  let session: Session | undefined
  const reply = (message: FromWorker): void => port.postMessage(message)
  const settle = (seq: number, step: Step): void => {
    if (step._tag !== "pending") session = undefined
    reply({ type: "step", seq, step })
  }
  port.on("message", (message: ToWorker) => {
    if (message.type === "close") {
      session?.close()
      session = undefined
    } else if (message.type === "start") {
      session?.close()
      engine.open(message.job).then(
        (opened) => {
          session = opened
          settle(message.seq, opened.start())
        },
        (error: unknown) => settle(message.seq, instantiationFailed(error))
      )
    } else if (session !== undefined) {
      settle(message.seq, session.resume(message.results))
    }
  })
  reply({ type: "ready" })
}
