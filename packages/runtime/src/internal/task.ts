// Task nodes: a registered function called as `fn(inputs, context)`, its output checked to be JSON.
import { Effect } from "effect"
import type { ExecutionError } from "../ExecutionError.js"
import type { Json } from "./model.js"
import type { PlanNode } from "./plan.js"
import { callValue } from "./resources.js"
import type { ExecutionState, RegisteredFunction } from "./state.js"
import type { AttemptScope } from "./attempt.js"

export interface TaskContextShape {
  readonly executionId: string
  readonly workflowId: string
  readonly nodeId: string
  readonly iteration: number
  readonly attempt: number
  /** The same for every attempt of this node execution: `<executionId>:<nodeId>:<iteration>` in memory. */
  readonly idempotencyKey: string
  readonly signal: AbortSignal
  readonly resource: (name: string) => Effect.Effect<unknown, ExecutionError>
  readonly getResource: (name: string) => Promise<unknown>
  readonly emit: (event: Json) => void
}

class TaskContext implements TaskContextShape {
  private controller: AbortController | undefined
  constructor(
    private readonly state: ExecutionState,
    private readonly scope: AttemptScope,
    readonly nodeId: string,
    readonly iteration: number,
    readonly attempt: number
  ) {}
  get idempotencyKey(): string {
    return this.scope.idempotencyKey
  }
  get executionId(): string {
    return this.state.executionId
  }
  get workflowId(): string {
    return this.state.workflowId
  }
  get signal(): AbortSignal {
    this.controller ??= new AbortController()
    return this.controller.signal
  }
  abort(): void {
    this.controller?.abort()
  }
  resource(name: string): Effect.Effect<unknown, ExecutionError> {
    return this.state.resources.acquire(name, this.nodeId)
  }
  getResource(name: string): Promise<unknown> {
    return Effect.runPromiseWith(this.state.context)(this.resource(name))
  }
  emit(event: Json): void {
    this.scope.emit({
      type: "node-emitted",
      at: this.state.now(),
      executionId: this.state.executionId,
      nodeId: this.nodeId,
      event
    })
  }
}

export const runTask = (
  state: ExecutionState,
  scope: AttemptScope,
  node: PlanNode,
  fn: RegisteredFunction,
  inputs: { readonly [key: string]: Json },
  iteration: number,
  attempt: number
): Effect.Effect<Json, unknown> => {
  const context = new TaskContext(state, scope, node.id, iteration, attempt)
  return Effect.flatMap(
    callValue<Json | undefined>(
      () => (fn as (...a: ReadonlyArray<unknown>) => unknown)(inputs, context),
      () => context.abort()
    ),
    (output): Effect.Effect<Json, unknown> => {
      if (output === undefined || output === null) return Effect.succeed(null)
      if (typeof output !== "object" && typeof output !== "bigint") return Effect.succeed(output)
      const problem = notJson(output, "", [])
      return problem === undefined
        ? Effect.succeed(output)
        : Effect.fail({
            _tag: "OutputNotJson",
            retryable: false,
            message: `task ${node.id} returned an output that JSON cannot hold (${problem}); node outputs are JSON (the result is serialised, and a durable backend stores them)`
          })
    }
  )
}

/** Why `value` would not survive `JSON.stringify` (a BigInt, a cycle), or `undefined`. */
const notJson = (value: unknown, path: string, ancestors: Array<object>): string | undefined => {
  if (typeof value === "bigint") return `a BigInt at ${path === "" ? "the top" : path}`
  if (typeof value !== "object" || value === null) return undefined
  // toJSON decides its own form (Date, fixtures' HTTP responses)
  if (typeof (value as { readonly toJSON?: unknown }).toJSON === "function") return undefined
  if (ancestors.includes(value)) return `a circular reference at ${path === "" ? "the top" : path}`
  ancestors.push(value)
  let problem: string | undefined
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length && problem === undefined; i++) {
      problem = notJson(value[i], path === "" ? String(i) : `${path}.${i}`, ancestors)
    }
  } else {
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue
      problem = notJson(
        (value as Record<string, unknown>)[key],
        path === "" ? key : `${path}.${key}`,
        ancestors
      )
      if (problem !== undefined) break
    }
  }
  ancestors.pop()
  return problem
}
