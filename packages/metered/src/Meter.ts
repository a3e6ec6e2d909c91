/**
 * The meter: records usage of metered calls (LLM tokens, API calls…) per execution and node,
 * prices it with a {@link PriceTable.PriceTable}, enforces {@link Budget.Budget}s (reserve the
 * estimate atomically, then settle with the actual cost), and adds the costs to the execution's
 * result and trace.
 *
 * Wiring, through the runtime's public API:
 * - run workflows with `meter.execute(runtime, workflow, params, { keys })` (Effect) or
 *   `meter.run(...)` (Promise): it registers the execution, gives every node attempt its identity
 *   (a `Scheduler` wrapper), and returns the result with `costs`;
 * - wrap clients with `meter.client(llm, { complete: { meter, model, estimate, usage } })` so every
 *   call is reserved, made, settled and recorded — from task functions and from code nodes
 *   (`getResource`) alike;
 * - wrap task functions with `meter.functions({...})` so clients called after an `await` still know
 *   their node, or pass the task context explicitly (`meter.record(usage, context)`);
 * - code nodes record usage themselves with the host function `recordUsage({ meter, model, quantities })`
 *   from `meter.hostFunctions`.
 *
 * @since 0.1.0
 */
import type { ExecutionResult, Runtime } from "@weft/runtime"
import { Scheduler } from "@weft/runtime"
import { Sandbox } from "@weft/sandbox"
import {
  Cause,
  type Context,
  Duration,
  Effect,
  Exit,
  type Layer,
  Metric,
  Result,
  type Schema
} from "effect"
import { type ExecutionState, withCosts } from "./internal/costs.js"
import { facade } from "./internal/facade.js"
import {
  type Budget,
  type BudgetStore,
  memoryStore,
  periodLabel,
  type Reservation,
  retainMillis,
  validate as validateBudgets
} from "./Budget.js"
import {
  type Caller,
  CurrentNode as CurrentNodeReference,
  currentCaller,
  fromContext,
  isTaskContext,
  type NodeRef as NodeRefShape,
  storage,
  type TaskContextLike
} from "./internal/caller.js"
import {
  BudgetExceeded,
  type BackendFailed,
  InvalidConfig,
  type InvalidQuantity,
  type ModelNotPriced,
  NotMetered,
  type UnknownMeter
} from "./MeteredError.js"
import {
  costNanos,
  fromNanos,
  type PriceTable,
  toNanos,
  type Usage,
  validate as validatePrices
} from "./PriceTable.js"

type Json = Schema.Json

/**
 * The node an operation is attributed to.
 *
 * @example
 * ```ts
 * import type { Meter } from "@weft/metered"
 * const node: Meter.NodeRef = { executionId: "e1", workflowId: "w", nodeId: "summarize", iteration: 1, attempt: 1 }
 * ```
 * @since 0.1.0
 * @category models
 */
export type NodeRef = NodeRefShape

/**
 * The node attempt currently running (a `Context.Reference`, provided by `meter.execute` to
 * every attempt; `undefined` outside one).
 *
 * @example
 * ```ts
 * import { Meter } from "@weft/metered"
 * import { Effect } from "effect"
 * const whoAmI = Effect.map(Effect.service(Meter.CurrentNode), (node) => node?.nodeId)
 * ```
 * @since 0.1.0
 * @category models
 */
export const CurrentNode = CurrentNodeReference

/**
 * One recorded usage: who, what, how much, what it cost.
 *
 * @example
 * ```ts
 * import type { Meter } from "@weft/metered"
 * const line = (r: Meter.CostRecord) => `${r.nodeId} ${r.meter}/${r.model}: ${r.cost}${r.cached ? " (cached)" : ""}`
 * ```
 * @since 0.1.0
 * @category models
 */
export interface CostRecord {
  readonly executionId: string
  readonly workflowId: string
  readonly nodeId: string
  readonly iteration: number
  readonly attempt: number
  readonly meter: string
  readonly model: string
  readonly quantities: { readonly [quantity: string]: number }
  /** Currency units. */
  readonly cost: number
  /** Integer nano-units (exact). */
  readonly nanos: number
  /** A cached reply: recorded for visibility, costs nothing. */
  readonly cached: boolean
  /** Clock time (ms). */
  readonly at: number
  /** The execution's budget keys (`{ customer: "acme" }`). */
  readonly keys: { readonly [key: string]: string }
}

/**
 * Costs of one execution: total, per node, per meter (currency units), and every record.
 *
 * @example
 * ```ts
 * import type { Meter } from "@weft/metered"
 * const report = (c: Meter.CostSummary) => `${c.total} ${c.currency}; llm: ${c.byMeter.llm ?? 0}`
 * ```
 * @since 0.1.0
 * @category models
 */
export interface CostSummary {
  readonly currency: string
  readonly total: number
  readonly totalNanos: number
  readonly byNode: { readonly [nodeId: string]: number }
  readonly byMeter: { readonly [meter: string]: number }
  readonly records: ReadonlyArray<CostRecord>
  /** Records a sink (e.g. PostgreSQL) failed to store; the run itself was not failed for them. */
  readonly sinkErrors: ReadonlyArray<BackendFailed>
}

/**
 * An execution result with its costs. Its `trace` also carries one `node-emitted` event per
 * record (`event: { type: "metered.usage", ... }`) and per cache outcome (`"metered.cache"`).
 *
 * @example
 * ```ts
 * import type { Meter } from "@weft/metered"
 * const spent = (result: Meter.MeteredResult) => result.costs.byNode.summarize ?? 0
 * ```
 * @since 0.1.0
 * @category models
 */
export type MeteredResult = ExecutionResult.ExecutionResult & { readonly costs: CostSummary }

/**
 * Where records go besides the result (e.g. `Postgres.costLedger` for reporting).
 *
 * @example
 * ```ts
 * import type { Meter } from "@weft/metered"
 * import { Effect } from "effect"
 * const rows: Array<Meter.CostRecord> = []
 * const sink: Meter.CostSink = { write: (record) => Effect.sync(() => { rows.push(record) }) }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface CostSink {
  readonly write: (record: CostRecord) => Effect.Effect<void, BackendFailed>
}

/**
 * Quantities of one usage record (`{ input: 1200, output: 300 }`); any object type whose values
 * are numbers fits.
 *
 * @example
 * ```ts
 * import type { Meter } from "@weft/metered"
 * const q: Meter.Quantities = { input: 1200, output: 300 }
 * ```
 * @since 0.1.0
 * @category models
 */
export type Quantities =
  | { readonly [quantity: string]: number }
  | { readonly input: number; readonly output: number }

/**
 * How a client method is metered: which meter and model, the usage estimated before the call
 * (reserved against budgets; omit to reserve nothing), and the actual usage read from the reply.
 *
 * @example
 * ```ts
 * import type { Meter } from "@weft/metered"
 * type Complete = (request: { model: string; prompt: string; maxTokens: number }) => Promise<{ usage: { input: number; output: number } }>
 * const spec: Meter.MethodSpec<Parameters<Complete>, Awaited<ReturnType<Complete>>> = {
 *   meter: "llm",
 *   model: (request) => request.model,
 *   estimate: (request) => ({ input: Math.ceil(request.prompt.length / 4), output: request.maxTokens }),
 *   usage: (reply) => reply.usage
 * }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface MethodSpec<Args extends ReadonlyArray<unknown>, A> {
  readonly meter: string
  readonly model?: string | ((...args: Args) => string)
  readonly estimate?: (...args: Args) => Quantities
  readonly usage: (reply: A, ...args: Args) => Quantities
}

/**
 * Method specs for a client type: every async method may be metered.
 *
 * @example
 * ```ts
 * import type { Meter } from "@weft/metered"
 * interface Llm { complete(prompt: string): Promise<{ tokens: number }> }
 * const specs: Meter.ClientSpecs<Llm> = { complete: { meter: "llm", model: "m", usage: (r) => ({ output: r.tokens }) } }
 * ```
 * @since 0.1.0
 * @category models
 */
export type ClientSpecs<T> = {
  readonly [K in keyof T]?: NonNullable<T[K]> extends (...args: infer Args) => PromiseLike<infer A>
    ? MethodSpec<Args, A>
    : never
}

/**
 * Options of `Meter.make`.
 *
 * @example
 * ```ts
 * import { Budget, PriceTable, type Meter } from "@weft/metered"
 * const options: Meter.Options = {
 *   prices: PriceTable.example,
 *   budgets: [{ name: "per-run", limit: 0.05, scope: "execution" }],
 *   store: Budget.memoryStore()
 * }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly prices: PriceTable
  readonly budgets?: ReadonlyArray<Budget>
  /** Default: an in-process store. Use the Redis or PostgreSQL store across processes. */
  readonly store?: BudgetStore
  readonly sink?: CostSink
  /**
   * How long a call's reservation is held without settlement before it counts as abandoned (a
   * worker died mid-call) and is released by the next reservation (default 10 minutes). Longer
   * than your slowest metered call.
   */
  readonly reservationTimeout?: Duration.Input
}

/**
 * Options of `meter.execute` / `meter.run`: the runtime's, plus the budget keys of this
 * execution (every keyed budget needs its key).
 *
 * @example
 * ```ts
 * import type { Meter } from "@weft/metered"
 * const options: Meter.ExecuteOptions = { keys: { customer: "acme" }, resources: {} }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface ExecuteOptions extends Omit<Runtime.ExecuteOptions, "failOnError"> {
  readonly keys?: { readonly [key: string]: string }
}

/**
 * Options of the Promise facade `meter.run`.
 *
 * @example
 * ```ts
 * import type { Meter } from "@weft/metered"
 * const options: Meter.RunOptions = { keys: { customer: "acme" }, signal: AbortSignal.timeout(60_000) }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface RunOptions extends ExecuteOptions {
  readonly signal?: AbortSignal
  /** The sandbox for code nodes (default: `Sandbox.layerQuickJs()`). */
  readonly sandbox?: Layer.Layer<Sandbox.Sandbox>
}

/**
 * Errors a metered call can fail with (besides the call's own).
 *
 * @example
 * ```ts
 * import type { Meter } from "@weft/metered"
 * const tag = (e: Meter.MeteringError) => e._tag
 * ```
 * @since 0.1.0
 * @category models
 */
export type MeteringError =
  | BudgetExceeded
  | InvalidConfig
  | UnknownMeter
  | ModelNotPriced
  | InvalidQuantity
  | NotMetered
  | BackendFailed

/**
 * A meter (see the module docs).
 *
 * @example
 * ```ts
 * import { Meter, PriceTable } from "@weft/metered"
 * const meter: Meter.Meter = Meter.makeUnsafe({ prices: PriceTable.example })
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Meter {
  readonly prices: PriceTable
  readonly budgets: ReadonlyArray<Budget>
  /** Records usage that already happened (counts against budgets; never refused). */
  readonly record: (usage: Usage, context?: TaskContextLike) => Promise<CostRecord>
  readonly recordEffect: (
    usage: Usage,
    context?: TaskContextLike
  ) => Effect.Effect<CostRecord, MeteringError>
  /** Reserves the estimate, runs `call` (only if it fits), settles with `usage(reply)`. */
  readonly call: <A>(
    spec: { readonly meter: string; readonly model?: string; readonly operation?: string } & {
      readonly estimate?: { readonly [quantity: string]: number }
      readonly usage: (reply: A) => { readonly [quantity: string]: number }
    },
    call: () => PromiseLike<A>,
    context?: TaskContextLike
  ) => Promise<A>
  readonly callEffect: <A, E, R>(
    spec: { readonly meter: string; readonly model?: string; readonly operation?: string } & {
      readonly estimate?: { readonly [quantity: string]: number }
      readonly usage: (reply: A) => { readonly [quantity: string]: number }
    },
    call: Effect.Effect<A, E, R>,
    context?: TaskContextLike
  ) => Effect.Effect<A, E | MeteringError, R>
  /** The client with the given methods metered (others untouched). */
  readonly client: <T extends object>(target: T, specs: ClientSpecs<T>) => T
  /** Task functions (and code-node host functions) that know their node across `await`s. */
  readonly functions: <F extends { readonly [name: string]: Runtime.RegisteredFunction }>(
    functions: F
  ) => F
  /** Host functions for code nodes: `await recordUsage({ meter, model, quantities })` → `{ cost }`. */
  readonly hostFunctions: { readonly recordUsage: Runtime.RegisteredFunction }
  /** Adds a `node-emitted` note to the calling node's trace (no-op outside a metered node). The caller is read when `note` is called, not when the Effect runs. */
  readonly note: (
    event: { readonly type: string } & { readonly [key: string]: Json }
  ) => Effect.Effect<void>
  readonly execute: (
    runtime: Runtime.Runtime,
    workflow: Runtime.Workflow,
    params?: Runtime.Params,
    options?: ExecuteOptions
  ) => Effect.Effect<MeteredResult, InvalidConfig, Sandbox.Sandbox>
  readonly run: (
    runtime: Runtime.Runtime,
    workflow: Runtime.Workflow,
    params?: Runtime.Params,
    options?: RunOptions
  ) => Promise<MeteredResult>
  /** Spent and reserved (currency units) in a budget's bucket: `execution` budgets take the execution id, keyed ones the key's value (and `at`, default now). */
  readonly spent: (
    budget: string,
    keyOrExecutionId: string,
    at?: number
  ) => Effect.Effect<
    { readonly spent: number; readonly reserved: number },
    InvalidConfig | BackendFailed
  >
}

/**
 * Metrics every meter updates (Effect `Metric` counters, in the registry of the context the meter
 * was made in): `weft_metered_cost_nanos_total{meter, model}` (cost in nano-units of the
 * currency) and `weft_metered_budget_refusals_total{budget}`.
 *
 * @example
 * ```ts
 * import { Meter } from "@weft/metered"
 * import { Effect, Metric } from "effect"
 * const refusals = Metric.value(Metric.withAttributes(Meter.metrics.refusals, { budget: "per-run" }))
 * ```
 * @since 0.1.0
 * @category models
 */
export const metrics = {
  cost: Metric.counter("weft_metered_cost_nanos_total", {
    description: "Cost of metered calls in nano-units of the price table's currency",
    incremental: true
  }),
  refusals: Metric.counter("weft_metered_budget_refusals_total", {
    description: "Metered calls refused by a budget",
    incremental: true
  })
}

const emptyQuantities: { readonly [quantity: string]: number } = {}

const runPromiseWith =
  (context: Context.Context<never>) =>
  <A, E>(effect: Effect.Effect<A, E>): Promise<A> =>
    Effect.runPromiseExitWith(context)(effect).then((exit) => {
      if (Exit.isSuccess(exit)) return exit.value
      throw Cause.squash(exit.cause)
    })

const bucketOf = (budget: Budget, executionId: string, keyValue: string, at: number) =>
  budget.scope === "execution"
    ? `${budget.name}:execution:${executionId}`
    : `${budget.name}:${budget.scope.key}=${keyValue}:${periodLabel(budget.scope.period, at, budget.scope.timeZone)}`

class MeterImpl implements Meter {
  private readonly executions = new Map<string, ExecutionState>()
  private readonly store: BudgetStore
  private readonly runWith: <A, E>(effect: Effect.Effect<A, E>) => Promise<A>
  readonly prices: PriceTable
  readonly budgets: ReadonlyArray<Budget>
  private readonly limits: Map<string, number>

  constructor(
    options: Options,
    private readonly context: Context.Context<never>
  ) {
    this.prices = options.prices
    this.budgets = options.budgets ?? []
    this.store = options.store ?? memoryStore()
    this.runWith = runPromiseWith(context)
    this.limits = new Map(this.budgets.map((b) => [b.name, toNanos(b.limit)]))
    this.sink = options.sink
    this.holdMillis = Duration.toMillis(
      Duration.fromInputUnsafe(options.reservationTimeout ?? "10 minutes")
    )
  }
  private readonly holdMillis: number
  private readonly sink: CostSink | undefined

  private now(): Effect.Effect<number> {
    return Effect.clockWith((clock) => clock.currentTimeMillis)
  }

  private stateOf(caller: Caller | undefined, operation: string): ExecutionState | NotMetered {
    if (caller === undefined) {
      return new NotMetered({
        operation,
        message: `${operation} was called outside a node of a metered execution; run the workflow with meter.execute / meter.run, and call it from a node (pass the task context, or wrap task functions with meter.functions)`
      })
    }
    const state = this.executions.get(caller.node.executionId)
    if (state === undefined) {
      return new NotMetered({
        operation,
        message: `${operation} was called by node ${caller.node.nodeId} of execution ${caller.node.executionId}, which this meter does not run; use meter.execute / meter.run`
      })
    }
    return state
  }

  private buckets(state: ExecutionState, executionId: string, meter: string, at: number) {
    const out: Array<{ budget: Budget; bucket: string; limit: number }> = []
    for (const budget of this.budgets) {
      if (budget.meters !== undefined && !budget.meters.includes(meter)) continue
      const keyValue = budget.scope === "execution" ? "" : state.keys[budget.scope.key]
      if (keyValue === undefined) continue // checked when the execution starts
      out.push({
        budget,
        bucket: bucketOf(budget, executionId, keyValue, at),
        limit: this.limits.get(budget.name)!
      })
    }
    return out
  }

  private emitNote(caller: Caller, state: ExecutionState, event: Json, at: number): void {
    if (caller.emit !== undefined) {
      caller.emit(event)
      return
    }
    state.notes.push({
      nodeId: caller.node.nodeId,
      iteration: caller.node.iteration,
      attempt: caller.node.attempt,
      event: {
        type: "node-emitted",
        at,
        executionId: caller.node.executionId,
        nodeId: caller.node.nodeId,
        event
      }
    })
  }

  private writeRecord(
    caller: Caller,
    state: ExecutionState,
    usage: Usage,
    nanos: number,
    cached: boolean,
    at: number
  ): Effect.Effect<CostRecord> {
    const record: CostRecord = {
      ...caller.node,
      meter: usage.meter,
      model: usage.model ?? "default",
      quantities: { ...usage.quantities },
      cost: fromNanos(nanos),
      nanos,
      cached,
      at,
      keys: state.keys
    }
    // the trace event is the record of truth: a durable journal stores and replays a task
    // attempt's events, so a replayed attempt's cost is counted from its event, never twice
    this.emitNote(
      caller,
      state,
      {
        type: "metered.usage",
        meter: record.meter,
        model: record.model,
        quantities: record.quantities,
        cost: record.cost,
        nanos,
        currency: this.prices.currency,
        cached,
        iteration: record.iteration,
        attempt: record.attempt
      },
      at
    )
    const counted = Metric.update(
      Metric.withAttributes(metrics.cost, { meter: record.meter, model: record.model }),
      nanos
    )
    const sink = this.sink
    if (sink === undefined) return Effect.as(counted, record)
    return sink.write(record).pipe(
      Effect.catch((error) => Effect.sync(() => state.sinkErrors.push(error))),
      Effect.andThen(counted),
      Effect.as(record)
    )
  }

  recordEffect = (
    usage: Usage,
    context?: TaskContextLike
  ): Effect.Effect<CostRecord, MeteringError> =>
    Effect.suspend(() => this.recordWith(currentCaller(context), usage, false))

  private recordWith(
    caller: Caller | undefined,
    usage: Usage,
    cached: boolean
  ): Effect.Effect<CostRecord, MeteringError> {
    const self = this
    return Effect.gen(function* () {
      const state = self.stateOf(caller, `record(${usage.meter})`)
      if (state instanceof NotMetered) return yield* state
      const priced = costNanos(self.prices, usage)
      if (Result.isFailure(priced)) return yield* priced.failure
      const nanos = cached ? 0 : priced.success
      const at = yield* self.now()
      if (nanos > 0) {
        for (const { budget, bucket } of self.buckets(
          state,
          caller!.node.executionId,
          usage.meter,
          at
        )) {
          yield* self.store.settle({ bucket, id: "direct", amount: 0 }, nanos, retainMillis(budget))
        }
      }
      return yield* self.writeRecord(caller!, state, usage, nanos, cached, at)
    })
  }

  record = (usage: Usage, context?: TaskContextLike): Promise<CostRecord> => {
    const caller = currentCaller(context)
    return this.runWith(Effect.suspend(() => this.recordWith(caller, usage, false)))
  }

  callEffect = <A, E, R>(
    spec: { readonly meter: string; readonly model?: string; readonly operation?: string } & {
      readonly estimate?: { readonly [quantity: string]: number }
      readonly usage: (reply: A) => { readonly [quantity: string]: number }
    },
    call: Effect.Effect<A, E, R>,
    context?: TaskContextLike
  ): Effect.Effect<A, E | MeteringError, R> =>
    Effect.suspend(() => this.callWith(currentCaller(context), spec, call))

  private callWith<A, E, R>(
    caller: Caller | undefined,
    spec: { readonly meter: string; readonly model?: string; readonly operation?: string } & {
      readonly estimate?: { readonly [quantity: string]: number }
      readonly usage: (reply: A) => { readonly [quantity: string]: number }
    },
    call: Effect.Effect<A, E, R>
  ): Effect.Effect<A, E | MeteringError, R> {
    const self = this
    const model = spec.model ?? "default"
    const operation = spec.operation ?? `${spec.meter}/${model}`
    return Effect.uninterruptibleMask((restore) =>
      Effect.gen(function* () {
        const state = self.stateOf(caller, operation)
        if (state instanceof NotMetered) return yield* state
        const node = caller!.node
        const estimated = costNanos(self.prices, {
          meter: spec.meter,
          model,
          quantities: spec.estimate ?? emptyQuantities
        })
        if (Result.isFailure(estimated)) return yield* estimated.failure
        const estimate = estimated.success
        const at = yield* self.now()
        const held: Array<{ reservation: Reservation; retain: number }> = []
        // every budget that applies counts the whole call
        const releaseAll = (actual: number) =>
          Effect.forEach(
            held,
            ({ reservation, retain }) => self.store.settle(reservation, actual, retain),
            {
              discard: true
            }
          )
        for (const { budget, bucket, limit } of self.buckets(
          state,
          node.executionId,
          spec.meter,
          at
        )) {
          // interruptible: a reservation made by an interrupted request is abandoned, and
          // released after holdMillis; those already held are settled by onInterrupt below
          const outcome = yield* restore(
            self.store.reserve({
              bucket,
              amount: estimate,
              limit,
              retainMillis: retainMillis(budget),
              now: at,
              holdMillis: self.holdMillis
            })
          ).pipe(Effect.onError(() => Effect.ignore(releaseAll(0))))
          if (outcome._tag === "Refused") {
            yield* releaseAll(0)
            yield* Metric.update(
              Metric.withAttributes(metrics.refusals, { budget: budget.name }),
              1
            )
            return yield* new BudgetExceeded({
              budget: budget.name,
              bucket,
              limit: budget.limit,
              spent: fromNanos(outcome.spent),
              reserved: fromNanos(outcome.reserved),
              estimate: fromNanos(estimate),
              nodeId: node.nodeId,
              executionId: node.executionId,
              message:
                outcome.spent > limit
                  ? `budget ${budget.name} (${bucket}) is exceeded: spent ${fromNanos(outcome.spent)} of ${budget.limit} ${self.prices.currency}; ${operation} by node ${node.nodeId} was not made`
                  : `budget ${budget.name} (${bucket}): spent ${fromNanos(outcome.spent)} + reserved ${fromNanos(outcome.reserved)} + estimate ${fromNanos(estimate)} > limit ${budget.limit} ${self.prices.currency}; ${operation} by node ${node.nodeId} was not made`
            })
          }
          held.push({ reservation: outcome.reservation, retain: retainMillis(budget) })
        }
        const exit = yield* Effect.exit(restore(call))
        if (Exit.isFailure(exit)) {
          yield* releaseAll(0)
          return yield* Effect.failCause(exit.cause)
        }
        let quantities: { readonly [quantity: string]: number }
        try {
          quantities = spec.usage(exit.value)
        } catch (error) {
          // the call happened: charge what was reserved, then report the broken usage function
          yield* releaseAll(estimate)
          return yield* new InvalidConfig({
            path: `usage(${operation})`,
            message: `the usage function of ${operation} threw on the reply: ${error instanceof Error ? error.message : String(error)}; the estimate was charged`
          })
        }
        const usage: Usage = { meter: spec.meter, model, quantities }
        const actual = costNanos(self.prices, usage)
        if (Result.isFailure(actual)) {
          // the call happened: charge what was reserved, then report the pricing problem
          yield* releaseAll(estimate)
          return yield* actual.failure
        }
        yield* releaseAll(actual.success)
        yield* self.writeRecord(caller!, state, usage, actual.success, false, yield* self.now())
        return exit.value
      })
    )
  }

  call = <A>(
    spec: { readonly meter: string; readonly model?: string; readonly operation?: string } & {
      readonly estimate?: { readonly [quantity: string]: number }
      readonly usage: (reply: A) => { readonly [quantity: string]: number }
    },
    call: () => PromiseLike<A>,
    context?: TaskContextLike
  ): Promise<A> => {
    const caller = currentCaller(context)
    return this.runWith(
      Effect.suspend(() =>
        this.callWith(
          caller,
          spec,
          Effect.tryPromise({ try: () => Promise.resolve(call()), catch: (error) => error })
        )
      )
    )
  }

  client = <T extends object>(target: T, specs: ClientSpecs<T>): T => {
    const wrapped: Record<string, unknown> = {}
    for (const name of Object.keys(specs)) {
      const spec = (
        specs as Record<string, MethodSpec<ReadonlyArray<unknown>, unknown> | undefined>
      )[name]
      const method = (target as Record<string, unknown>)[name]
      if (spec === undefined) continue
      if (typeof method !== "function") {
        throw new InvalidConfig({
          path: `client.${name}`,
          message: `meter.client: the client has no method "${name}" to meter`
        })
      }
      wrapped[name] = (...args: ReadonlyArray<unknown>) => {
        const caller = currentCaller()
        const model = typeof spec.model === "function" ? spec.model(...args) : spec.model
        return this.runWith(
          Effect.suspend(() =>
            this.callWith(
              caller,
              {
                meter: spec.meter,
                ...(model === undefined ? {} : { model }),
                operation: name,
                ...(spec.estimate === undefined ? {} : { estimate: spec.estimate(...args) }),
                usage: (reply: unknown) => spec.usage(reply, ...args)
              },
              Effect.tryPromise({
                try: () =>
                  Promise.resolve(
                    (method as (...a: Array<unknown>) => unknown).apply(target, [...args])
                  ),
                catch: (error) => error
              })
            )
          )
        )
      }
    }
    return facade(target, wrapped)
  }

  functions = <F extends { readonly [name: string]: Runtime.RegisteredFunction }>(
    functions: F
  ): F => {
    const out: Record<string, Runtime.RegisteredFunction> = {}
    for (const [name, fn] of Object.entries(functions)) {
      out[name] = ((...args: ReadonlyArray<unknown>) => {
        const second = args[1]
        const caller = isTaskContext(second) ? fromContext(second) : currentCaller()
        const invoke = () => (fn as (...a: ReadonlyArray<unknown>) => unknown)(...args)
        return caller === undefined ? invoke() : storage.run(caller, invoke)
      }) as Runtime.RegisteredFunction
    }
    return out as unknown as F
  }

  hostFunctions = {
    recordUsage: ((usage: unknown) =>
      Effect.suspend((): Effect.Effect<Json, MeteringError | InvalidConfig> => {
        const caller = currentCaller()
        if (typeof usage !== "object" || usage === null || Array.isArray(usage)) {
          return Effect.fail(
            new InvalidConfig({
              path: "recordUsage(usage)",
              message: "recordUsage expects { meter, model?, quantities }"
            })
          )
        }
        const u = usage as { meter?: unknown; model?: unknown; quantities?: unknown }
        if (
          typeof u.meter !== "string" ||
          typeof u.quantities !== "object" ||
          u.quantities === null
        ) {
          return Effect.fail(
            new InvalidConfig({
              path: "recordUsage(usage)",
              message:
                "recordUsage expects { meter: string, model?: string, quantities: { name: number } }"
            })
          )
        }
        return Effect.map(
          this.recordWith(
            caller,
            {
              meter: u.meter,
              ...(typeof u.model === "string" ? { model: u.model } : {}),
              quantities: u.quantities as { readonly [q: string]: number }
            },
            false
          ),
          (record) => ({ cost: record.cost, nanos: record.nanos })
        )
      })) as Runtime.RegisteredFunction
  }

  note = (
    event: { readonly type: string } & { readonly [key: string]: Json }
  ): Effect.Effect<void> => {
    const caller = currentCaller()
    return Effect.flatMap(this.now(), (at) =>
      Effect.sync(() => {
        if (caller === undefined) return
        const state = this.executions.get(caller.node.executionId)
        if (state !== undefined) this.emitNote(caller, state, event, at)
      })
    )
  }

  execute = (
    runtime: Runtime.Runtime,
    workflow: Runtime.Workflow,
    params?: Runtime.Params,
    options: ExecuteOptions = {}
  ): Effect.Effect<MeteredResult, InvalidConfig, Sandbox.Sandbox> => {
    const self = this
    return Effect.gen(function* () {
      const keys = options.keys ?? {}
      for (const budget of self.budgets) {
        if (budget.scope !== "execution" && !Object.hasOwn(keys, budget.scope.key)) {
          return yield* new InvalidConfig({
            path: `keys.${budget.scope.key}`,
            message: `budget ${budget.name} is kept per ${budget.scope.key}, but the execution of ${workflow.id} has no keys.${budget.scope.key}`
          })
        }
      }
      const base = yield* Scheduler.CurrentScheduler
      const executionId = options.executionId ?? base.executionId()
      const state: ExecutionState = {
        workflowId: workflow.id,
        keys: { ...keys },
        notes: [],
        sinkErrors: []
      }
      self.executions.set(executionId, state)
      const scheduler: Scheduler.Scheduler = {
        executionId: base.executionId,
        runNode: (node, attempt) =>
          base.runNode(node, Effect.provideService(attempt, CurrentNodeReference, node))
      }
      const { keys: _keys, ...rest } = options
      const result = yield* runtime
        .execute(workflow, params, { ...rest, executionId })
        .pipe(
          Effect.provideService(Scheduler.CurrentScheduler, scheduler),
          Effect.ensuring(Effect.sync(() => self.executions.delete(executionId)))
        )
      return withCosts(result, state, self.prices.currency)
    })
  }

  run = (
    runtime: Runtime.Runtime,
    workflow: Runtime.Workflow,
    params?: Runtime.Params,
    options: RunOptions = {}
  ): Promise<MeteredResult> => {
    const { signal, sandbox, ...rest } = options
    const program = this.execute(runtime, workflow, params, rest).pipe(
      Effect.provide(sandbox ?? Sandbox.layerQuickJs())
    )
    return Effect.runPromiseExitWith(this.context)(
      program,
      signal === undefined ? undefined : { signal }
    ).then((exit) => {
      if (Exit.isSuccess(exit)) return exit.value
      throw Cause.squash(exit.cause)
    })
  }

  spent = (
    budget: string,
    keyOrExecutionId: string,
    at?: number
  ): Effect.Effect<
    { readonly spent: number; readonly reserved: number },
    InvalidConfig | BackendFailed
  > =>
    Effect.gen({ self: this }, function* () {
      const definition = this.budgets.find((b) => b.name === budget)
      if (definition === undefined) {
        return yield* new InvalidConfig({
          path: `budgets.${budget}`,
          message: `no budget named "${budget}"; budgets: ${this.budgets.map((b) => b.name).join(", ") || "(none)"}`
        })
      }
      const now = at ?? (yield* this.now())
      const state = yield* this.store.state(
        bucketOf(definition, keyOrExecutionId, keyOrExecutionId, now)
      )
      return { spent: fromNanos(state.spent), reserved: fromNanos(state.reserved) }
    })
}

/**
 * Creates a meter bound to the current context (its `Clock` decides budget periods).
 *
 * @example
 * ```ts
 * import { Meter, PriceTable } from "@weft/metered"
 * import { Effect } from "effect"
 * const program = Effect.gen(function* () {
 *   const meter = yield* Meter.make({
 *     prices: PriceTable.example,
 *     budgets: [{ name: "per-run", limit: 0.05, scope: "execution" }]
 *   })
 *   return meter.budgets.length
 * })
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<Meter, InvalidConfig> =>
  Effect.gen(function* () {
    const prices = validatePrices(options.prices)
    if (Result.isFailure(prices)) return yield* prices.failure
    yield* validateBudgets(options.budgets ?? [])
    const context = yield* Effect.context<never>()
    return new MeterImpl(options, context)
  })

/**
 * Creates a meter on the live Clock (for Promise code); throws `InvalidConfig` on a bad table or
 * budget.
 *
 * @example
 * ```ts
 * import { Meter, PriceTable } from "@weft/metered"
 * const meter = Meter.makeUnsafe({ prices: PriceTable.example, budgets: [{ name: "run", limit: 0.1, scope: "execution" }] })
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const makeUnsafe = (options: Options): Meter => Effect.runSync(make(options))
