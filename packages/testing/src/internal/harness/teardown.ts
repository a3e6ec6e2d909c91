// Closing a harness: interrupt what still runs, release resources and cleanups (LIFO), then
// check that nothing outlived the test — and, when vitest timed it out, say that first.
import { Cause, Effect, Exit, Fiber, Scope } from "effect"
import type { CloseContext, TestResult } from "../../Harness.js"
import * as VirtualTime from "../../VirtualTime.js"
import { formatMillis } from "../assertionFailed.js"
import { LeakDetected } from "./errors.js"
import { countHandles, type Lifetime, openHarnesses } from "./lifetime.js"

export interface TeardownDeps {
  readonly options: { readonly leakCheck?: boolean }
  readonly region: VirtualTime.Region
  readonly regionScope: Scope.Closeable
  readonly resources: Scope.Closeable
  readonly running: Set<Fiber.Fiber<unknown, unknown>>
  readonly results: ReadonlyArray<TestResult>
  readonly lifetime: Lifetime
  readonly handlesBefore: Map<string, number>
  readonly markClosed: () => boolean
}

export const makeTeardown = ({
  options,
  region,
  regionScope,
  resources,
  running,
  results,
  lifetime,
  handlesBefore,
  markClosed
}: TeardownDeps) => {
  let closing: Promise<Exit.Exit<void, LeakDetected>> | undefined
  const closeEffect = (context: CloseContext): Effect.Effect<void, LeakDetected> =>
    Effect.gen(function* () {
      if (!markClosed()) return
      const leaks: Array<string> = []
      let inFlight: Array<string> = []
      const stillRunning = running.size
      if (stillRunning > 0) {
        // Name what they were waiting on: usually why the test timed out.
        inFlight = [...new Set((yield* region.leaks).realWork)]
        leaks.push(
          `${stillRunning} execution${stillRunning === 1 ? "" : "s"} or harness call${stillRunning === 1 ? "" : "s"} still running at teardown (interrupted)` +
            (inFlight.length > 0 ? `; real work in flight: ${inFlight.join(", ")}` : "")
        )
        yield* Fiber.interruptAll([...running])
      }
      const closeExit = yield* Effect.exit(Scope.close(resources, Exit.void))
      if (Exit.isFailure(closeExit))
        leaks.push(`a cleanup failed: ${Cause.pretty(closeExit.cause).split("\n")[0]}`)
      const regionLeaks = yield* region.leaks
      const described = VirtualTime.describeLeaks(regionLeaks)
      if (described !== undefined) leaks.push(described)
      for (const result of results) {
        const acquired = new Map<string, number>()
        for (const event of result.trace) {
          if (event.type === "resource-acquired")
            acquired.set(event.resource, (acquired.get(event.resource) ?? 0) + 1)
          if (event.type === "resource-released")
            acquired.set(event.resource, (acquired.get(event.resource) ?? 0) - 1)
        }
        for (const [name, open] of acquired) {
          if (open > 0)
            leaks.push(`resource ${name} acquired by execution ${result.id} was never released`)
        }
      }
      yield* Scope.close(regionScope, Exit.void)
      openHarnesses.delete(lifetime)
      // Servers and sockets close asynchronously; give them a few turns.
      let handleLeaks: Array<string> = []
      for (let turn = 0; turn < 20 && !lifetime.overlapped; turn++) {
        const after = countHandles()
        handleLeaks = [...after]
          .filter(([name, count]) => count > (handlesBefore.get(name) ?? 0))
          .map(
            ([name, count]) =>
              `${count - (handlesBefore.get(name) ?? 0)} ${name} handle(s) still open (a server not closed)`
          )
        if (handleLeaks.length === 0) break
        yield* Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 5)))
      }
      leaks.push(...handleLeaks)
      if (leaks.length > 0 && options.leakCheck !== false) {
        const list = leaks.map((l) => `  - ${l}`).join("\n")
        // A timed-out test: the timeout is the news, what leaked is its consequence.
        const headline =
          context.timedOutAfter === undefined
            ? `leak check: ${leaks.length} thing${leaks.length === 1 ? "" : "s"} outlived the test:`
            : `the test timed out after ${formatMillis(context.timedOutAfter)}` +
              (inFlight.length > 0
                ? ` while waiting on real work: ${inFlight.join(", ")}`
                : stillRunning > 0
                  ? ` with ${stillRunning} execution${stillRunning === 1 ? "" : "s"} or harness call${stillRunning === 1 ? "" : "s"} still running`
                  : "") +
              `. Left behind (cleaned up):`
        return yield* new LeakDetected({ leaks, message: `${headline}\n${list}` })
      }
    })
  const closeWith = (context: CloseContext): Effect.Effect<void, LeakDetected> =>
    Effect.suspend(() => {
      closing ??= Effect.runPromise(Effect.exit(closeEffect(context)))
      return Effect.flatMap(
        Effect.promise(() => closing!),
        (exit) => exit
      )
    })

  return closeWith
}
