// Structural mirror of the @weft/graph and @weft/sandbox contracts (docs/contracts.md), used by the
// engine so it depends only on the data shapes, not on builder internals.
import type { Effect, Schema } from "effect"

export type Json = Schema.Json

export interface NodeOptions {
  readonly description?: string
  readonly timeout?: number
  readonly retry?: { readonly [key: string]: Json }
  readonly resources?: ReadonlyArray<string>
  /** At most `limit` executing at once per resolved `key` template (`"customer:{customerId}"`). */
  readonly concurrency?: { readonly key: string; readonly limit: number }
}
export interface CodeNode extends NodeOptions {
  readonly kind: "code"
  readonly id: string
  readonly source: string
}
export interface TaskNode extends NodeOptions {
  readonly kind: "task"
  readonly id: string
  readonly function: string
}
/** Waits `duration` ms, or until the epoch-ms timestamp in input `until`; outputs its inputs. */
export interface DelayNode extends NodeOptions {
  readonly kind: "delay"
  readonly id: string
  readonly duration?: number
  readonly until?: string
}
/** Waits for the next event named `event` (its own `timeout` bounds the wait). */
export interface EventNode extends NodeOptions {
  readonly kind: "event"
  readonly id: string
  readonly event: string
}
export type Node = CodeNode | TaskNode | DelayNode | EventNode

export interface Connection {
  readonly from: string
  readonly output: string
  readonly to: string
  readonly input: string
  /** `"failure"`: fires with the source's final error (as JSON) when it failed. */
  readonly on?: "success" | "failure"
}

export type Convergence =
  | {
      readonly kind: "converged"
      readonly node: string
      readonly output: string
      readonly tolerance: number
    }
  | { readonly kind: "condition"; readonly source: string }

export interface Loop {
  readonly id: string
  readonly nodes: ReadonlyArray<string>
  readonly maxIterations: number
  readonly until: Convergence
  readonly onMaxIterations: "fail" | "succeed"
}

export interface Settings {
  readonly mode: "parallel" | "sequential"
  readonly concurrency: number | "unbounded"
  readonly timeout?: number
  readonly nodeTimeout?: number
  readonly deadlockTimeout?: number
  readonly failureMode: "fail-fast" | "continue"
}

export interface WorkflowData {
  readonly version?: 1 | 2
  readonly id: string
  readonly nodes: ReadonlyArray<Node>
  readonly connections: ReadonlyArray<Connection>
  readonly loops: ReadonlyArray<Loop>
  readonly settings: Settings
}

export type HostFunction = (
  ...args: ReadonlyArray<Json>
) => Effect.Effect<Json | undefined, unknown>
export interface ResourceBridge {
  readonly acquire: (name: string) => Effect.Effect<void, unknown>
  readonly call: (
    name: string,
    method: string,
    args: ReadonlyArray<Json>
  ) => Effect.Effect<Json | undefined, unknown>
}
export interface RunRequest {
  readonly source: string
  readonly inputs?: { readonly [name: string]: Json }
  readonly host?: { readonly [name: string]: HostFunction }
  readonly resources?: ResourceBridge
  readonly limits?: Partial<{
    readonly timeout: number
    readonly memoryBytes: number
    readonly outputBytes: number
    readonly stackBytes: number
    readonly logLines: number
  }>
  readonly label?: string
}
export interface RunResult {
  readonly output: Json | undefined
  readonly logs: ReadonlyArray<string>
}
export interface SandboxShape {
  readonly run: (request: RunRequest) => Effect.Effect<RunResult, unknown>
}
