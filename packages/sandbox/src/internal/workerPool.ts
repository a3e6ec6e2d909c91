import { existsSync } from "node:fs"
import { Worker } from "node:worker_threads"
import { Deferred, Effect, Semaphore } from "effect"
import type { Failure, Step } from "./engine.js"
import { sharedWasm } from "./inThread.js"
import { withRealWork } from "./realWork.js"
import type { Driver, SessionHandle } from "./run.js"
import type { FromWorker, ToWorker } from "./worker.js"

export interface WorkerPoolOptions {
  readonly workers: number
  readonly terminateGrace?: number
}

const MAX_TIMER_MS = 2_147_483_647 // setTimeout fires at once beyond this

interface PoolWorker {
  readonly worker: Worker
  seq: number
  dead: boolean
  exitReason: string | undefined
  waiting: ((reply: FromWorker | undefined) => void) | undefined
}

/** Finds the worker entry and engine next to this file: `src/internal/*.ts` or `dist/internal/*.js`. */
const locate = (): { readonly workerUrl: URL; readonly engineUrl: URL } => {
  const here = import.meta.url
  const candidates = here.endsWith(".ts")
    ? [["./worker.ts", "./engine.ts"]]
    : [
        ["./internal/worker.js", "./internal/engine.js"],
        ["./worker.js", "./engine.js"]
      ]
  for (const [worker, engine] of candidates) {
    if (worker === undefined || engine === undefined) continue
    const workerUrl = new URL(worker, here)
    const engineUrl = new URL(engine, here)
    if (existsSync(workerUrl) && existsSync(engineUrl)) return { workerUrl, engineUrl }
  }
  throw new Error(`@weft/sandbox: cannot find its worker entry next to ${here}`)
}

const failed = (kind: Failure["kind"], name: string, message: string): Step => ({
  _tag: "failed",
  failure: { kind, name, message, line: undefined, callId: undefined, size: undefined },
  logs: []
})

/** A pool of worker threads hosting QuickJS; terminated with the enclosing scope. */
export const makeWorkerPool = (options: WorkerPoolOptions) =>
  Effect.gen(function* () {
    const wasmModule = sharedWasm()
    const { workerUrl, engineUrl } = locate()
    const all = new Set<PoolWorker>()
    const idle: Array<PoolWorker> = []
    const permits = yield* Semaphore.make(Math.max(1, Math.floor(options.workers)))
    let closed = false

    const kill = (pool: PoolWorker): Promise<number> => {
      pool.dead = true
      all.delete(pool)
      const index = idle.indexOf(pool)
      if (index >= 0) idle.splice(index, 1)
      const waiting = pool.waiting
      pool.waiting = undefined
      waiting?.(undefined)
      return pool.worker.terminate()
    }

    yield* Effect.addFinalizer(() =>
      Effect.promise(async () => {
        closed = true
        await Promise.all([...all].map(kill))
      })
    )

    const spawn = Effect.callback<PoolWorker>((resume) => {
      const worker = new Worker(workerUrl, {
        workerData: { engineUrl: engineUrl.href, wasmModule },
        resourceLimits: { maxOldGenerationSizeMb: 256 },
        // Not the parent's flags and loaders (e.g. tsx): the worker needs none, and starts faster.
        execArgv: [],
        stderr: false
      })
      const pool: PoolWorker = {
        worker,
        seq: 0,
        dead: false,
        exitReason: undefined,
        waiting: undefined
      }
      all.add(pool)
      let ready = false
      const gone = (reason: string) => {
        pool.dead = true
        pool.exitReason ??= reason
        all.delete(pool)
        if (!ready) {
          ready = true
          resume(Effect.die(new Error(`@weft/sandbox: a worker failed to start (${reason})`)))
        }
        const waiting = pool.waiting
        pool.waiting = undefined
        waiting?.(undefined)
      }
      worker.on("message", (message: FromWorker) => {
        if (message.type === "ready") {
          ready = true
          resume(Effect.succeed(pool))
        } else pool.waiting?.(message)
      })
      worker.on("error", (error) => {
        const code = (error as { readonly code?: unknown }).code
        gone(code === "ERR_WORKER_OUT_OF_MEMORY" ? "out of memory" : error.message)
      })
      worker.on("exit", (code) => gone(`exit code ${code}`))
      return Effect.promise(() => kill(pool))
    })

    // Start one worker in the background so the first run does not pay for it: the first run
    // takes it over (waiting for it to be ready) unless it is already parked as idle.
    const warm = yield* Deferred.make<PoolWorker | undefined>()
    let warming: Deferred.Deferred<PoolWorker | undefined> | undefined = warm
    yield* Effect.forkScoped(
      withRealWork("sandbox:worker-start", spawn).pipe(
        Effect.catchCause(() => Effect.succeed(undefined)), // a failed start shows up again when a run needs a worker
        Effect.tap((pool) =>
          Effect.sync(() => {
            if (warming !== warm) return // a run took it over
            warming = undefined
            if (pool === undefined || closed || pool.dead) return
            pool.worker.unref()
            idle.push(pool)
          })
        ),
        Effect.flatMap((pool) => Deferred.succeed(warm, pool))
      )
    )

    const obtain = Effect.gen(function* () {
      const reused = idle.pop()
      if (reused !== undefined) return reused
      if (warming !== undefined) {
        const starting = warming
        warming = undefined
        const started = yield* Deferred.await(starting)
        if (started !== undefined && !started.dead) return started
      }
      // Starting a worker is real asynchronous work: virtual time must not advance meanwhile.
      return yield* withRealWork("sandbox:worker-start", spawn)
    })

    const giveBack = (pool: PoolWorker) =>
      Effect.gen(function* () {
        if (!pool.dead && !closed) {
          pool.worker.unref()
          idle.push(pool)
        } else if (!pool.dead) yield* Effect.promise(() => kill(pool))
      })

    // Waiting for a free worker stays interruptible (a queued run is cancelled at once, not when
    // the busy worker frees up). The permit's release is registered with the take; the worker's
    // is registered later, so it runs first: the worker is idle before the next run wakes up.
    const acquire = Effect.gen(function* () {
      yield* Semaphore.takeScoped(permits, 1)
      return yield* Effect.uninterruptible(
        Effect.tap(obtain, (pool) => Effect.addFinalizer(() => giveBack(pool)))
      )
    })

    const roundTrip = (
      pool: PoolWorker,
      message: ToWorker,
      budgetMs: number,
      label: string
    ): Effect.Effect<Step> =>
      withRealWork(
        `sandbox:${label}`,
        Effect.callback<Step>((resume) => {
          if (pool.dead) {
            resume(Effect.succeed(crashed(pool)))
            return
          }
          const timer = setTimeout(
            () => {
              pool.waiting = undefined
              void kill(pool)
              resume(
                Effect.succeed(
                  failed(
                    "timeout",
                    "Timeout",
                    "The code kept running past its time limit and its worker was terminated"
                  )
                )
              )
            },
            Math.min(budgetMs, MAX_TIMER_MS)
          )
          pool.waiting = (reply) => {
            if (reply !== undefined && (reply.type !== "step" || reply.seq !== message.seq)) return
            clearTimeout(timer)
            pool.waiting = undefined
            resume(Effect.succeed(reply === undefined ? crashed(pool) : reply.step))
          }
          pool.worker.ref()
          pool.worker.postMessage(message)
          // Interrupted while the guest runs: terminate the worker, the only way to stop it at once.
          return Effect.sync(() => {
            clearTimeout(timer)
            if (pool.waiting !== undefined) {
              pool.waiting = undefined
              void kill(pool)
            }
          })
        })
      )

    const crashed = (pool: PoolWorker): Step =>
      pool.exitReason === "out of memory"
        ? failed("memory", "MemoryLimit", "The sandbox worker ran out of memory and was replaced")
        : failed(
            "runtime",
            "WorkerExited",
            `The sandbox worker stopped unexpectedly (${pool.exitReason ?? "terminated"})`
          )

    const driver: Driver = {
      open: (job, label) =>
        Effect.gen(function* () {
          const pool = yield* acquire
          const timeout = job.limits.timeout
          const grace = options.terminateGrace ?? Math.min(1_000, 100 + timeout / 2)
          let usedMs = 0
          let open = false
          const step = (message: ToWorker, extra: number) =>
            Effect.gen(function* () {
              const started = performance.now()
              const result = yield* roundTrip(
                pool,
                message,
                Math.max(0, timeout - usedMs) + grace + extra,
                label
              )
              usedMs += performance.now() - started
              open = result._tag === "pending"
              return result
            })
          yield* Effect.addFinalizer(() =>
            Effect.sync(() => {
              if (open && !pool.dead)
                pool.worker.postMessage({ type: "close", seq: ++pool.seq } satisfies ToWorker)
            })
          )
          const handle: SessionHandle = {
            // Creating the QuickJS instance is not the guest's time: allow a second for it.
            start: step({ type: "start", seq: ++pool.seq, job }, 1_000),
            resume: (results) =>
              Effect.suspend(() => step({ type: "resume", seq: ++pool.seq, results }, 0))
          }
          return handle
        })
    }
    return driver
  })
