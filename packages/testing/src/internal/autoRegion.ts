// The self-advancing ("auto") region: the driver that moves the clock to the next timer
// deadline whenever no fiber can run and no real work is in flight.
import { Clock, Context, Duration, Effect, Exit, Fiber, Metric, Scheduler, Tracer } from "effect"
import type { Leaks, Measured, Options, Region, Timing, VirtualTimeError } from "../VirtualTime.js"
import { CountingScheduler } from "./countingScheduler.js"
import * as realWork from "./realWork.js"
import { ActiveRegion, FixtureCall, inheritedRun, type RegionMarker } from "./regionRefs.js"
import { SpanTracker } from "./spanTracker.js"
import { Attribution, makeContextHook, Owner, owners, quietly } from "./suspensions.js"
import {
  formatMs,
  RealWorkStuck,
  RealWorkUnobserved,
  VirtualTimeDeadlock,
  VirtualTimeLimitExceeded
} from "./timeErrors.js"
import { TimerHeap } from "./timerHeap.js"
import { VirtualClock } from "./virtualClock.js"

const defaults = {
  maxAdvances: 100_000,
  maxVirtualTime: Duration.days(30),
  realWorkTimeout: Duration.seconds(25),
  deadlockGrace: Duration.millis(10)
}

type Wake =
  | { readonly _tag: "Idle" }
  | {
      readonly _tag: "Stuck"
      readonly label: string
      readonly elapsedMs: number
      readonly unknown: boolean
    }

const interruptWithin = (fiber: Fiber.Fiber<unknown, unknown>, waitMs: number) =>
  Effect.callback<void>((resume) => {
    fiber.interruptUnsafe()
    const timer = setTimeout(() => resume(Effect.void), waitMs)
    const remove = fiber.addObserver(() => {
      clearTimeout(timer)
      resume(Effect.void)
    })
    return Effect.sync(() => {
      clearTimeout(timer)
      remove()
    })
  })

const nextTurn = Effect.callback<void>((resume) => {
  const handle = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(handle))
})

const realSleep = (ms: number) =>
  Effect.callback<void>((resume) => {
    const timer = setTimeout(() => resume(Effect.void), ms)
    return Effect.sync(() => clearTimeout(timer))
  })

interface ActiveRun {
  readonly seq: number
  readonly fiber: Fiber.Fiber<unknown, unknown>
  readonly fail: (error: VirtualTimeError) => void
}

export const makeAutoRegion = (options: Options) =>
  Effect.gen(function* () {
    const maxAdvances = options.maxAdvances ?? defaults.maxAdvances
    const millis = (input: Duration.Input | undefined, fallback: Duration.Duration) =>
      Duration.toMillis(input === undefined ? fallback : Duration.fromInputUnsafe(input))
    const maxVirtualTime = millis(options.maxVirtualTime, defaults.maxVirtualTime)
    const realWorkTimeout = millis(options.realWorkTimeout, defaults.realWorkTimeout)
    const deadlockGrace = millis(options.deadlockGrace, defaults.deadlockGrace)

    const baseScheduler = yield* Scheduler.Scheduler
    const startTime = options.startTime ?? 0
    const virtualNow = () => testClock.currentTimeMillisUnsafe() - startTime

    // --- idle detection -----------------------------------------------------------------------
    let waiter: ((wake: Wake) => void) | undefined
    let checkScheduled = false
    let stuckTimer: ReturnType<typeof setTimeout> | undefined
    const wakeUp = (wake: Wake) => {
      const resume = waiter
      if (resume === undefined) return
      waiter = undefined
      if (stuckTimer !== undefined) clearTimeout(stuckTimer)
      stuckTimer = undefined
      resume(wake)
    }
    const scheduler: CountingScheduler = new CountingScheduler(baseScheduler, () => poke())
    const tracker: realWork.CountingTracker = new realWork.CountingTracker(
      () => armStuckTimer(),
      () => poke()
    )
    const activity = () => scheduler.epoch + tracker.epoch
    // Work of unknown nature waits on virtual time (so must not hold it) while a fixture call
    // is in flight or a run it started is still going; otherwise it is treated as real work.
    const holdsTime = (op: realWork.InFlight) => {
      // Work started on its behalf is running as fibers of the region: it waits on them.
      if (op.owner !== undefined && op.owner.children > 0) return false
      if (op.unknown === undefined) return true
      return fixtureFibers === 0 && ![...active].some((run) => run.seq > op.unknown!.runSeq)
    }
    const realWorkHolds = () => {
      for (const op of tracker.inFlight.values()) if (holdsTime(op)) return true
      return false
    }
    // Quiet = nothing queued, nothing in flight, for two event-loop turns with no activity.
    const confirm = (turnsLeft: number, epoch: number) => {
      if (waiter === undefined) return
      if (scheduler.queued > 0) return
      if (realWorkHolds()) {
        armStuckTimer()
        return
      }
      if (activity() !== epoch) return poke()
      if (turnsLeft > 1) {
        setImmediate(() => confirm(turnsLeft - 1, epoch))
      } else {
        wakeUp({ _tag: "Idle" })
      }
    }
    const poke = () => {
      if (waiter === undefined || checkScheduled) return
      checkScheduled = true
      quietly(() =>
        setImmediate(() => {
          checkScheduled = false
          confirm(2, activity())
        })
      )
    }
    const armStuckTimer = () => {
      if (waiter === undefined || stuckTimer !== undefined) return
      const oldest = tracker.oldest(holdsTime)
      if (oldest === undefined) return
      const remaining = Math.max(0, oldest.startedAt + realWorkTimeout - performance.now())
      stuckTimer = quietly(() =>
        setTimeout(() => {
          stuckTimer = undefined
          const current = tracker.oldest(holdsTime)
          if (current === undefined) return
          const elapsedMs = performance.now() - current.startedAt
          if (elapsedMs >= realWorkTimeout) {
            wakeUp({
              _tag: "Stuck",
              label: current.label,
              elapsedMs,
              unknown: current.unknown !== undefined
            })
          } else {
            armStuckTimer()
          }
        }, remaining)
      )
    }

    // --- the region's services ----------------------------------------------------------------
    const timers = new TimerHeap()
    // Between the wake-ups of a program's own `TestClock.adjust`, let woken fibers run.
    const settled = Effect.callback<void>((resume) => {
      const check = () => {
        if (scheduler.queued === 0) resume(Effect.void)
        else setImmediate(check)
      }
      setImmediate(check)
    })
    // Fixture calls sleeping on the clock: a call the test abandoned (its node timed out) is cut
    // off at the leak check rather than reported — the harness, not the test, handed it out.
    const fixtureSleepers = new Set<Fiber.Fiber<unknown, unknown>>()
    const testClock = new VirtualClock(startTime, timers, tracker, settled, (fiber) => {
      if (!fiber.getRef(FixtureCall)) return undefined
      fixtureSleepers.add(fiber)
      return () => fixtureSleepers.delete(fiber)
    })
    const clock = testClock
    // Fibers started inside the region and not yet ended (detached ones outlive their run).
    let liveFibers = 0
    const outerMetrics = yield* Metric.FiberRuntimeMetrics
    const attribution = new Attribution(() => poke())
    const fiberMetrics: Metric.FiberRuntimeMetricsService = {
      recordFiberStart: (context) => {
        liveFibers++
        attribution.start(context)
        outerMetrics?.recordFiberStart(context)
      },
      recordFiberEnd: (context, exit) => {
        liveFibers--
        outerMetrics?.recordFiberEnd(context, exit)
      }
    }
    // Fibers of fixture calls (fixtures bound to `fixtureContext`), counted apart.
    let fixtureFibers = 0
    const fixtureMetrics: Metric.FiberRuntimeMetricsService = {
      recordFiberStart: (context) => {
        fixtureFibers++
        fiberMetrics.recordFiberStart(context)
        poke()
      },
      recordFiberEnd: (context, exit) => {
        fixtureFibers--
        fiberMetrics.recordFiberEnd(context, exit)
        poke()
      }
    }
    const spans = new SpanTracker()
    const tracer = yield* Tracer.Tracer
    let waking = false
    const contextHook = (inner: Tracer.Tracer["context"]) =>
      makeContextHook(
        {
          beginReal: (label, owner) => tracker.beginSuspended(label, owner),
          now: () => testClock.currentTimeMillisUnsafe(),
          describe: (fiber) =>
            SpanTracker.path(Context.getOrUndefined(fiber.context, Tracer.ParentSpan)) ||
            `fiber #${fiber.id}`,
          internal: () => waking || scheduler.running > 0,
          firstSeen: (fiber) => attribution.adopt(fiber),
          onExternalResume: (label, since, now) => {
            const error = new RealWorkUnobserved({
              label,
              from: since - startTime,
              to: now - startTime,
              message:
                `${label} was resumed by a callback from outside Effect (real work the harness could ` +
                `not see) after virtual time had moved on under it, from t=${formatMs(since - startTime)} ` +
                `to t=${formatMs(now - startTime)}. Mark that work with VirtualTime.withRealWork, start it ` +
                `inside the callback's register (or return a Promise / Effect.tryPromise), or use ` +
                `time: "scaled" or "live" for this test.`
            })
            // Fail outside the fiber that is resuming.
            queueMicrotask(() => failAll(error))
          }
        },
        inner as Parameters<typeof makeContextHook>[1]
      ) as NonNullable<Tracer.Tracer["context"]>
    const context = Context.make(Clock.Clock, clock as Clock.Clock).pipe(
      Context.add(Scheduler.Scheduler, scheduler as Scheduler.Scheduler),
      Context.add(realWork.RealWork, tracker as realWork.RealWorkTracker),
      Context.add(
        Tracer.Tracer,
        spans.wrap(tracer, (inner) => contextHook(inner))
      ),
      Context.add(
        Metric.FiberRuntimeMetrics,
        fiberMetrics as Metric.FiberRuntimeMetricsService | undefined
      ),
      Context.add(ActiveRegion, { mode: "auto" } as RegionMarker | undefined)
    ) as Context.Context<never>
    const fixtureContext = Context.add(
      context,
      Metric.FiberRuntimeMetrics,
      fixtureMetrics as Metric.FiberRuntimeMetricsService | undefined
    ).pipe(Context.add(FixtureCall, true))

    // --- the driver: one per region, running while any run is active ----------------------------
    const active = new Set<ActiveRun>()
    let runSeq = 0
    let driving = false
    let advances = 0
    const failAll = (error: VirtualTimeError) => {
      for (const run of [...active]) run.fail(error)
    }
    const waitForQuiet = Effect.callback<Wake>((resume) => {
      waiter = (wake) => resume(Effect.succeed(wake))
      poke()
      armStuckTimer()
      return Effect.sync(() => {
        waiter = undefined
        if (stuckTimer !== undefined) clearTimeout(stuckTimer)
        stuckTimer = undefined
      })
    })
    const stillWaiting = () => [...active].some((run) => run.fiber.pollUnsafe() === undefined)
    const driverLoop: Effect.Effect<void> = Effect.gen(function* () {
      for (;;) {
        if (!stillWaiting()) {
          driving = false
          return
        }
        const wake = yield* waitForQuiet
        if (!stillWaiting()) continue
        if (wake._tag === "Stuck") {
          const at = virtualNow()
          failAll(
            new RealWorkStuck({
              label: wake.label,
              elapsedMs: Math.round(wake.elapsedMs),
              at,
              message:
                `real operation "${wake.label}" still in flight after ${Math.round(wake.elapsedMs)}ms ` +
                `of real time (virtual t=${formatMs(at)}); virtual time is frozen ` +
                `while real work runs. Raise realWorkTimeout if it is legitimately slow.` +
                (wake.unknown
                  ? " (A pending Promise from your code is taken for real work; if it waits on " +
                    "the virtual clock instead, return an Effect.)"
                  : "")
            })
          )
          continue
        }
        const next = timers.peek()
        if (next === undefined) {
          // Nothing runnable, nothing in flight, no timer: confirm after a short real grace.
          const epoch = activity()
          yield* realSleep(deadlockGrace)
          if (
            !stillWaiting() ||
            activity() !== epoch ||
            scheduler.queued > 0 ||
            realWorkHolds() ||
            timers.peek() !== undefined
          ) {
            continue
          }
          const at = virtualNow()
          const waiting = spans.describe()
          failAll(
            new VirtualTimeDeadlock({
              at,
              waiting,
              message:
                `deadlock at virtual t=${formatMs(at)}: no fiber can run, no real work is in flight ` +
                `and no timer is pending, so the program can never finish. ` +
                (waiting.length > 0
                  ? `Still open: ${waiting.join("; ")}.`
                  : "Every fiber waits on a Deferred, Queue, latch or join that nothing will complete.") +
                ` (If it awaits real I/O through a callback the harness cannot see, mark that work ` +
                `with withRealWork, or use time: "scaled" or "live".)`
            })
          )
          continue
        }
        const target = Math.max(next, testClock.currentTimeMillisUnsafe())
        if (advances >= maxAdvances || target - startTime > maxVirtualTime) {
          const at = virtualNow()
          const limit = advances >= maxAdvances ? "advances" : "virtual-time"
          const waiting = spans.describe()
          failAll(
            new VirtualTimeLimitExceeded({
              limit,
              at,
              advances,
              waiting,
              message:
                (limit === "advances"
                  ? `virtual time advanced ${maxAdvances} times (now t=${formatMs(at)}) without the program finishing`
                  : `the next timer fires at virtual t=${formatMs(target - startTime)}, past maxVirtualTime ` +
                    `${formatMs(maxVirtualTime)}`) +
                `; an endless periodic timer (poller, watchdog) may hide a program that never ends.` +
                (waiting.length > 0 ? ` Still open: ${waiting.join("; ")}.` : "")
            })
          )
          continue
        }
        advances++
        waking = true
        try {
          testClock.wakeNext(target)
        } finally {
          waking = false
        }
      }
    })
    let driverFiber: Fiber.Fiber<void> | undefined
    const ensureDriver = () => {
      if (driving) return
      driving = true
      driverFiber = Effect.runFork(driverLoop)
    }
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => (driverFiber === undefined ? Effect.void : Fiber.interrupt(driverFiber)))
    )

    const currentLeaks = Effect.gen(function* () {
      for (const fiber of [...fixtureSleepers]) fiber.interruptUnsafe()
      // Fibers interrupted on the way out need a few turns to end.
      for (let turn = 0; turn < 5 && (liveFibers > 0 || timers.size > 0); turn++) yield* nextTurn
      const leaks: Leaks = {
        fibers: Math.max(0, liveFibers),
        timers: timers.size,
        realWork: [...tracker.inFlight.values()].map((op) => op.label)
      }
      return leaks
    })

    const measure = <A, E, R>(
      effect: Effect.Effect<A, E, R>
    ): Effect.Effect<Measured<A>, E | VirtualTimeError, R> =>
      Effect.gen(function* () {
        if ((yield* ActiveRegion) !== undefined) return yield* inheritedRun(effect, "auto")
        const realStart = performance.now()
        const virtualStart = testClock.currentTimeMillisUnsafe()
        const advancesStart = advances
        // Numbered before it starts, so work it begins counts as begun after it.
        const seq = ++runSeq
        const fiber = yield* Effect.forkChild(Effect.provideContext(effect, context))
        let verdict: VirtualTimeError | undefined
        let virtualEnd = virtualStart
        let advancesEnd = advancesStart
        yield* Effect.callback<void>((resume) => {
          const run: ActiveRun = {
            seq,
            fiber,
            fail: (error) => {
              if (!active.delete(run)) return
              verdict = error
              resume(Effect.void)
            }
          }
          active.add(run)
          const removeObserver = fiber.addObserver(() => {
            // The clock may move on for other runs before this caller resumes.
            virtualEnd = testClock.currentTimeMillisUnsafe()
            advancesEnd = advances
            active.delete(run)
            poke()
            resume(Effect.void)
          })
          ensureDriver()
          poke()
          return Effect.sync(() => {
            removeObserver()
            active.delete(run)
          })
        })
        if (verdict !== undefined) {
          yield* interruptWithin(fiber, 1_000)
          return yield* Effect.fail(verdict)
        }
        const exit = yield* Fiber.await(fiber)
        const leaks = yield* currentLeaks
        if (Exit.isFailure(exit)) return yield* Effect.failCause(exit.cause)
        const timing: Timing = {
          mode: "auto",
          virtualMs: virtualEnd - virtualStart,
          realMs: performance.now() - realStart,
          advances: advancesEnd - advancesStart
        }
        return { value: exit.value, timing, leaks } satisfies Measured<A>
      })

    const region: Region = {
      mode: "auto",
      context,
      measure,
      run: (effect) => Effect.map(measure(effect), (m) => m.value),
      now: () => testClock.currentTimeMillisUnsafe(),
      elapsed: virtualNow,
      leaks: currentLeaks,
      realWork: tracker,
      beginUnknownWork: (label) => tracker.beginUnknown(label, runSeq),
      callUnknown: (label, call) => {
        const owner = new Owner()
        const end = tracker.beginUnknown(label, runSeq, owner)
        try {
          return { value: owners.run(owner, call), end }
        } catch (error) {
          end()
          throw error
        }
      },
      fixtureContext
    }
    return region
  })
