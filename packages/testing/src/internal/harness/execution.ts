// Running workflows in the harness: one execution, many at once, or a started handle — all on
// the harness's clock, with its functions, resources, faults and sandbox.
import type { Resource, Runtime } from "@weft/runtime"
import { Sandbox } from "@weft/sandbox"
import { Duration, Effect } from "effect"
import type { EffectApi, ExecuteOptions, Params, TestResult, Workflow } from "../../Harness.js"
import type * as VirtualTime from "../../VirtualTime.js"

type Json = Runtime.Params[string]

export interface ExecutionDeps {
  readonly region: VirtualTime.Region
  readonly runtime: ReturnType<typeof Runtime.make>
  readonly results: Array<TestResult>
  readonly ensureOpen: (what: string) => void
  readonly sandbox: () => Sandbox.Sandbox["Service"]
  readonly quiet: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  readonly functionsFor: (
    workflow: Workflow,
    extra?: { readonly [name: string]: Runtime.RegisteredFunction }
  ) => { [name: string]: Runtime.RegisteredFunction }
  readonly resourcesFor: () => { [name: string]: Resource.ResourceInput }
}

export const makeExecution = ({
  region,
  runtime,
  results,
  ensureOpen,
  sandbox: sandboxFor,
  quiet,
  functionsFor,
  resourcesFor
}: ExecutionDeps) => {
  const execute = (
    workflow: Workflow,
    params?: Params,
    executeOptions: ExecuteOptions = {}
  ): Effect.Effect<TestResult, VirtualTime.VirtualTimeError> =>
    Effect.gen(function* () {
      ensureOpen("execute")
      const sandbox = sandboxFor()
      const { events, ...runtimeOptions } = executeOptions
      const options: Runtime.ExecuteOptions = {
        ...runtimeOptions,
        functions: functionsFor(workflow, runtimeOptions.functions),
        resources: { ...resourcesFor(), ...runtimeOptions.resources }
      }
      const run =
        events === undefined || events.length === 0
          ? runtime.execute(workflow, params, options)
          : Effect.scoped(
              Effect.gen(function* () {
                const execution = yield* runtime.start(workflow, params, options)
                const startedAt = region.now()
                // Scripted events arrive at their virtual times, in order.
                yield* Effect.forkScoped(
                  Effect.forEach(
                    events,
                    ({ at, name, event }) =>
                      Effect.gen(function* () {
                        const due = startedAt + Duration.toMillis(Duration.fromInputUnsafe(at))
                        const wait = due - region.now()
                        if (wait > 0) yield* Effect.sleep(wait)
                        yield* name === undefined
                          ? execution.send(event)
                          : execution.send(name, event)
                      }),
                    { discard: true }
                  )
                )
                return yield* execution.result
              })
            )
      const measured = yield* region.measure(
        run.pipe(Effect.provideService(Sandbox.Sandbox, sandbox), quiet)
      )
      const result: TestResult = { ...measured.value, timing: measured.timing }
      results.push(result)
      return result
    })

  const executeMany: EffectApi["executeMany"] = (runs, manyOptions) =>
    Effect.gen(function* () {
      ensureOpen("executeMany")
      const sandbox = sandboxFor()
      const resourceTable = resourcesFor()
      const measured = yield* region.measure(
        Effect.forEach(
          runs,
          (run) =>
            Effect.gen(function* () {
              const started = performance.now()
              const value = yield* runtime.execute(run.workflow, run.params, {
                functions: functionsFor(run.workflow),
                resources: resourceTable
              })
              return { value, realMs: performance.now() - started }
            }),
          { concurrency: manyOptions?.concurrency ?? "unbounded" }
        ).pipe(Effect.provideService(Sandbox.Sandbox, sandbox), quiet)
      )
      const out = measured.value.map(
        ({ value, realMs }): TestResult => ({
          ...value,
          timing: { ...measured.timing, virtualMs: value.duration, realMs }
        })
      )
      results.push(...out)
      return out
    })

  const start: EffectApi["start"] = (workflow, params, startOptions = {}) =>
    Effect.gen(function* () {
      ensureOpen("start")
      const realStart = performance.now()
      const sandbox = sandboxFor()
      const execution = yield* runtime
        .start(workflow, params, {
          ...startOptions,
          functions: functionsFor(workflow, startOptions.functions),
          resources: { ...resourcesFor(), ...startOptions.resources }
        })
        .pipe(
          Effect.provideService(Sandbox.Sandbox, sandbox),
          quiet,
          Effect.provideContext(region.context)
        )
      // Waiting on the execution drives the harness clock; events are stamped with its time.
      const handle: Runtime.Execution = {
        ...execution,
        // Named (`send(name, payload)`) and unnamed (`send(event)`) events, stamped on its clock.
        send: (...args: [Json] | [string, Json]) =>
          Effect.provideContext(
            args.length === 2 ? execution.send(args[0], args[1]) : execution.send(args[0]),
            region.context
          ),
        result: Effect.orDie(
          Effect.tap(region.run(execution.result), (result) =>
            Effect.sync(() => {
              results.push({
                ...result,
                timing: {
                  mode: region.mode,
                  virtualMs: result.duration,
                  realMs: performance.now() - realStart,
                  advances: 0
                }
              })
            })
          )
        ),
        cancel: Effect.orDie(region.run(execution.cancel))
      }
      return handle
    })

  return { execute, executeMany, start }
}
