// Structural view of @weft/runtime's ExecutionResult (docs/contracts.md) — only the fields the
// assertions read, so they also accept results that crossed JSON.

export type NodeStatus = "succeeded" | "failed" | "skipped" | "cancelled" | "timed-out"
export type ExecutionStatus = "succeeded" | "failed" | "timed-out" | "cancelled"

export interface ErrorLike {
  readonly _tag: string
  readonly message: string
  readonly nodeId?: string
  readonly errorTag?: string
  readonly cause?: unknown
  readonly lastError?: unknown
}

export interface NodeResultLike {
  readonly status: NodeStatus
  readonly output?: unknown
  readonly attempts: number
  readonly error?: ErrorLike
}

export interface TraceEventLike {
  readonly type: string
  readonly at: number
  readonly executionId: string
  readonly nodeId?: string
  readonly attempt?: number
}

export interface ResultLike {
  readonly id: string
  readonly workflowId: string
  readonly status: ExecutionStatus
  readonly outputs: { readonly [nodeId: string]: unknown }
  readonly nodes: { readonly [nodeId: string]: NodeResultLike }
  readonly errors: ReadonlyArray<ErrorLike>
  readonly trace: ReadonlyArray<TraceEventLike>
  readonly duration: number
  readonly counts: { readonly [nodeId: string]: number }
}
