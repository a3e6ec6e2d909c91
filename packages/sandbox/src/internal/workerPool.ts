import { existsSync } from "node:fs"
import { Worker } from "node:worker_threads"
import { Effect } from "effect"
import type { Failure, Step } from "./engine.js"
import { sharedWasm } from "./inThread.js"
import { withRealWork } from "./realWork.js"
import type { Driver, OpenOptions, SessionHandle } from "./run.js"
import type { FromWorker, ToWorker, WorkerData } from "./worker.js"

export interface WorkerPoolOptions {
  readonly workers: number
  readonly terminateGrace?: number
  readonly maxSuspendedPerWorker: number
  /** Memory sizes each worker prepares contexts for at start-up. */
  readonly warmSizes: ReadonlyArray<number>
}

const MAX_TIMER_MS = 2_147_483_647 // setTimeout fires at once beyond this
const INSTANTIATE_ALLOWANCE_MS = 1_000 // creating a QuickJS instance is not the guest's time

/** A step waiting for its turn on a worker, or running on one. */
interface Unit {
  readonly key: string
  /** Set for a resume: the worker holding the session. */
  readonly home: PoolWorker | undefined
  /** Called when the unit gets its turn (the worker is reserved for it). */
  readonly grant: (worker: PoolWorker | undefined) => void
  cancelled: boolean
}

interface PoolWorker {
  readonly worker: Worker
  readonly abort: Int32Array
  ready: boolean
  dead: boolean
  exitReason: string | undefined
  /** A step is running (or reserved): one at a time per worker. */
  busy: boolean
  /** Live sessions on this worker (suspended or running). */
  sessions: number
  /** Sessions suspended in host calls. */
  suspended: number
  /** Resumes of this worker's sessions, waiting for it. */
  readonly resumes: Array<Unit>
  /** Reply handlers of the step in flight, by session id. */
  readonly replies: Map<number, (message: FromWorker | undefined) => void>
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

/**
 * Fair queue of new runs: one FIFO per key (an execution, a caller), served round robin, so one
 * key's backlog delays another key's run by at most one step per worker.
 */
class FairQueue {
  private readonly byKey = new Map<string, Array<Unit>>()
  private readonly order: Array<string> = []
  private size = 0
  get length(): number {
    return this.size
  }
  push(unit: Unit): void {
    let list = this.byKey.get(unit.key)
    if (list === undefined) {
      list = []
      this.byKey.set(unit.key, list)
      this.order.push(unit.key)
    }
    list.push(unit)
    this.size++
  }
  remove(unit: Unit): void {
    const list = this.byKey.get(unit.key)
    const index = list?.indexOf(unit) ?? -1
    if (list === undefined || index < 0) return
    list.splice(index, 1)
    this.size--
    if (list.length === 0) this.drop(unit.key)
  }
  shift(): Unit | undefined {
    const key = this.order.shift()
    if (key === undefined) return undefined
    const list = this.byKey.get(key)
    const unit = list?.shift()
    if (list === undefined || unit === undefined) {
      this.byKey.delete(key)
      return this.shift()
    }
    this.size--
    if (list.length === 0) this.byKey.delete(key)
    else this.order.push(key) // round robin: this key goes to the back
    return unit
  }
  private drop(key: string): void {
    this.byKey.delete(key)
    const index = this.order.indexOf(key)
    if (index >= 0) this.order.splice(index, 1)
  }
}

/** A pool of worker threads hosting QuickJS; terminated with the enclosing scope. */
export const makeWorkerPool = (options: WorkerPoolOptions) =>
  Effect.gen(function* () {
    const wasmModule = sharedWasm()
    const { workerUrl, engineUrl } = locate()
    const size = Math.max(1, Math.floor(options.workers))
    const grace = options.terminateGrace
    const workers: Array<PoolWorker> = []
    const starts = new FairQueue()
    let closed = false
    let nextSid = 1
    let startFailure: string | undefined

    const refresh = (pool: PoolWorker): void => {
      if (pool.dead) return
      // Referenced while it holds a session or runs a step (a run is in flight), else unref'd.
      if (pool.busy || pool.sessions > 0) pool.worker.ref()
      else pool.worker.unref()
    }

    const gone = (pool: PoolWorker, reason: string): void => {
      if (pool.dead) return
      pool.dead = true
      pool.exitReason ??= reason
      const index = workers.indexOf(pool)
      if (index >= 0) workers.splice(index, 1)
      const replies = [...pool.replies.values()]
      pool.replies.clear()
      for (const reply of replies) reply(undefined)
      // Resumes of its sessions get their turn at once and find the worker dead.
      for (const unit of pool.resumes.splice(0)) if (!unit.cancelled) unit.grant(pool)
      // Replace a worker that was serving; one that never started is retried by the next run.
      if (!closed && pool.ready) spawn()
      if (!closed) dispatch()
    }

    const kill = (pool: PoolWorker, reason: string): Promise<number> => {
      gone(pool, reason)
      return pool.worker.terminate()
    }

    const spawn = (): void => {
      const abort = new SharedArrayBuffer(4)
      const data: WorkerData = {
        engineUrl: engineUrl.href,
        wasmModule,
        abort,
        warmSizes: options.warmSizes
      }
      const worker = new Worker(workerUrl, {
        workerData: data,
        // A small young generation: the worker allocates little JS, and a smaller peak leaves less RSS
        // behind after termination (~15 MB less per pool measured here).
        resourceLimits: { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 4 },
        // Not the parent's flags and loaders (e.g. tsx): the worker needs none, and starts faster.
        execArgv: [],
        stderr: false
      })
      const pool: PoolWorker = {
        worker,
        abort: new Int32Array(abort),
        ready: false,
        dead: false,
        exitReason: undefined,
        busy: false,
        sessions: 0,
        suspended: 0,
        resumes: [],
        replies: new Map()
      }
      workers.push(pool)
      worker.on("message", (message: FromWorker) => {
        if (message.type === "ready") {
          pool.ready = true
          startFailure = undefined
          refresh(pool)
          dispatch()
          // Workers start one after another: the first run waits for one start-up, not several
          // competing for the same cores.
          if (!closed && workers.length < size) spawn()
        } else pool.replies.get(message.sid)?.(message)
      })
      worker.on("error", (error) => {
        const code = (error as { readonly code?: unknown }).code
        if (!pool.ready) startFailure = error.message
        gone(pool, code === "ERR_WORKER_OUT_OF_MEMORY" ? "out of memory" : error.message)
      })
      worker.on("exit", (code) => gone(pool, `exit code ${code}`))
    }

    /** Hands free workers to waiting units: a worker's own resumes first, then new runs. */
    const dispatch = (): void => {
      for (const pool of workers) {
        if (pool.dead || !pool.ready || pool.busy) continue
        const resume = pool.resumes.shift()
        if (resume !== undefined) {
          pool.busy = true
          refresh(pool)
          resume.grant(pool)
        }
      }
      while (starts.length > 0) {
        let best: PoolWorker | undefined
        for (const pool of workers) {
          if (pool.dead || !pool.ready || pool.busy) continue
          if (best === undefined || pool.sessions < best.sessions) best = pool
        }
        if (best === undefined) break
        const unit = starts.shift()
        if (unit === undefined) break
        best.busy = true
        refresh(best)
        unit.grant(best)
      }
      // No worker can start (each failed to): fail the waiting runs instead of leaving them queued.
      if (workers.length === 0 && startFailure !== undefined) {
        for (let unit = starts.shift(); unit !== undefined; unit = starts.shift())
          unit.grant(undefined)
      }
    }

    const free = (pool: PoolWorker): void => {
      pool.busy = false
      refresh(pool)
      dispatch()
    }

    /** A free worker taken at once when nothing waits (no queueing, no callback). */
    const takeFree = (home: PoolWorker | undefined): PoolWorker | undefined => {
      if (closed) return undefined
      if (home !== undefined) {
        if (home.dead || !home.ready || home.busy || home.resumes.length > 0) return undefined
        home.busy = true
        refresh(home)
        return home
      }
      if (starts.length > 0) return undefined
      let best: PoolWorker | undefined
      for (const pool of workers) {
        if (pool.dead || !pool.ready || pool.busy || pool.resumes.length > 0) continue
        if (best === undefined || pool.sessions < best.sessions) best = pool
      }
      if (best === undefined) return undefined
      best.busy = true
      refresh(best)
      return best
    }

    /** Waits for a turn: on `home` for a resume, on any worker for a start. Interruptible. */
    const turn = (key: string, home: PoolWorker | undefined) =>
      Effect.suspend(() => {
        const free = takeFree(home)
        return free !== undefined ? Effect.succeed(free) : waitTurn(key, home)
      })

    const waitTurn = (key: string, home: PoolWorker | undefined) =>
      Effect.callback<PoolWorker | undefined>((resume) => {
        if (closed) {
          resume(Effect.succeed(undefined))
          return
        }
        const unit: Unit = {
          key,
          home,
          cancelled: false,
          grant: (pool) => resume(Effect.succeed(pool))
        }
        if (home !== undefined) {
          if (home.dead) {
            resume(Effect.succeed(home))
            return
          }
          home.resumes.push(unit)
        } else {
          starts.push(unit)
          if (workers.length === 0) {
            startFailure = undefined
            spawn()
          }
        }
        dispatch()
        return Effect.sync(() => {
          unit.cancelled = true
          if (home !== undefined) {
            const index = home.resumes.indexOf(unit)
            if (index >= 0) home.resumes.splice(index, 1)
          } else starts.remove(unit)
        })
      })

    /** Sends one step to a reserved worker and waits for its reply, bounded by the budget. */
    const roundTrip = (
      pool: PoolWorker,
      sid: number,
      message: ToWorker,
      budgetMs: number
    ): Effect.Effect<Step> =>
      Effect.callback<Step>((resume) => {
        if (pool.dead) {
          pool.busy = false
          resume(Effect.succeed(crashed(pool)))
          return
        }
        let settled = false
        const overran = () => {
          if (!settled) {
            settled = true
            resume(
              Effect.succeed(
                failed(
                  "timeout",
                  "Timeout",
                  "The code kept running past its time limit and its worker was terminated"
                )
              )
            )
          }
          void kill(pool, "terminated: a run on the same worker overran its time limit")
        }
        let timer = setTimeout(overran, Math.min(budgetMs, MAX_TIMER_MS))
        pool.replies.set(sid, (reply) => {
          if (reply?.type === "instantiating") {
            clearTimeout(timer)
            timer = setTimeout(overran, Math.min(budgetMs + INSTANTIATE_ALLOWANCE_MS, MAX_TIMER_MS))
            return
          }
          clearTimeout(timer)
          pool.replies.delete(sid)
          if (reply !== undefined) free(pool)
          if (settled) return
          settled = true
          resume(
            Effect.succeed(
              reply === undefined || reply.type !== "step" ? crashed(pool) : reply.step
            )
          )
        })
        pool.worker.postMessage(message)
        // Interrupted while the guest runs: ask the worker to stop this session (its interrupt
        // handler checks the flag); terminate the worker only if it does not stop promptly.
        return Effect.sync(() => {
          if (settled) return
          settled = true
          Atomics.store(pool.abort, 0, sid)
          clearTimeout(timer)
          timer = setTimeout(() => {
            if (pool.replies.has(sid))
              void kill(pool, "terminated: an interrupted run did not stop")
          }, grace ?? 150)
        })
      })

    const crashed = (pool: PoolWorker): Step =>
      pool.exitReason === "out of memory"
        ? failed("memory", "MemoryLimit", "The sandbox worker ran out of memory and was replaced")
        : failed(
            "runtime",
            "WorkerExited",
            `The sandbox worker stopped unexpectedly (${pool.exitReason ?? "terminated"})`
          )

    spawn()

    yield* Effect.addFinalizer(() =>
      Effect.promise(async () => {
        closed = true
        for (let unit = starts.shift(); unit !== undefined; unit = starts.shift())
          unit.grant(undefined)
        await Promise.all([...workers].map((pool) => kill(pool, "the pool was closed")))
      })
    )

    const closedStep = failed("runtime", "SandboxClosed", "The sandbox was closed")

    const driver: Driver = {
      maxSuspended: options.maxSuspendedPerWorker,
      stats: () => {
        let live = 0
        let busy = 0
        let suspended = 0
        let resumes = 0
        for (const pool of workers) {
          if (pool.dead) continue
          live++
          if (pool.busy) busy++
          suspended += pool.suspended
          resumes += pool.resumes.length
        }
        return { workers: live, busy, suspended, queued: starts.length + resumes }
      },
      open: (job, open: OpenOptions) =>
        Effect.gen(function* () {
          const sid = nextSid++
          const timeout = job.limits.timeout
          const extra = grace ?? Math.min(150, 50 + timeout / 2)
          let home: PoolWorker | undefined
          let usedMs = 0
          let live = false // the session exists on `home` (started, not finished)
          let suspended = false
          const settle = (step: Step): Step => {
            if (home === undefined) return step
            if (step._tag !== "pending") {
              if (live) home.sessions--
              live = false
              refresh(home)
              return step
            }
            if (home.suspended >= options.maxSuspendedPerWorker) {
              home.sessions--
              live = false
              if (!home.dead) home.worker.postMessage({ type: "close", sid } satisfies ToWorker)
              refresh(home)
              return failed(
                "suspendedLimit",
                "SuspendedLimit",
                `The code suspended in a host call while its worker already held ${options.maxSuspendedPerWorker} suspended runs (maxSuspendedPerWorker)`
              )
            }
            home.suspended++
            suspended = true
            return step
          }
          const step = (pool: PoolWorker, message: ToWorker, allowance: number) =>
            Effect.suspend(() => {
              const started = performance.now()
              return Effect.map(
                roundTrip(pool, sid, message, Math.max(0, timeout - usedMs) + extra + allowance),
                (result) => {
                  usedMs += performance.now() - started
                  return settle(result)
                }
              )
            })
          yield* Effect.addFinalizer(() =>
            Effect.sync(() => {
              if (home === undefined || !live) return
              if (suspended) home.suspended--
              home.sessions--
              live = false
              if (!home.dead) home.worker.postMessage({ type: "close", sid } satisfies ToWorker)
              refresh(home)
            })
          )
          const handle: SessionHandle = {
            start: withRealWork(
              `sandbox:${open.label}`,
              Effect.gen(function* () {
                const pool = yield* turn(open.key, undefined)
                if (pool === undefined) {
                  return startFailure !== undefined && !closed
                    ? failed(
                        "runtime",
                        "WorkerExited",
                        `@weft/sandbox: a worker failed to start (${startFailure})`
                      )
                    : closedStep
                }
                home = pool
                pool.sessions++
                live = true
                yield* Effect.onInterrupt(open.onStart, () =>
                  Effect.sync(() => {
                    pool.sessions--
                    live = false
                    free(pool)
                  })
                )
                return yield* step(pool, { type: "start", sid, job }, 0)
              })
            ),
            resume: (results) =>
              withRealWork(
                `sandbox:${open.label}`,
                Effect.gen(function* () {
                  const pool = home
                  if (pool === undefined) return closedStep
                  if (suspended) {
                    pool.suspended--
                    suspended = false
                  }
                  yield* turn(open.key, pool)
                  if (pool.dead) return crashed(pool)
                  return yield* step(pool, { type: "resume", sid, results }, 0)
                })
              )
          }
          return handle
        })
    }
    return driver
  })
