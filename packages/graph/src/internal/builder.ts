import { Duration, Effect, Option, Result } from "effect"
import type { Connection } from "../Connection.js"
import type { Convergence, Loop } from "../Loop.js"
import type { Node, NodeOptions, RetrySpec } from "../Node.js"
import type {
  Builder,
  DelayInput,
  DelayOptionsInput,
  EventOptionsInput,
  WorkflowInvalid,
  LoopOptions,
  NodeOptionsInput,
  Settings,
  ValidateOptions,
  Workflow
} from "../Workflow.js"
import { checkIssues } from "./check.js"
import type { Issue } from "./issue.js"
import { copyJson, type Json } from "./json.js"

export const defaultSettings: Settings = {
  mode: "parallel",
  concurrency: "unbounded",
  failureMode: "fail-fast"
}

interface Link<A> {
  readonly value: A
  readonly previous: Link<A> | undefined
}

/** Builder state: persistent linked lists, so each call is O(1) and earlier builders stay valid. */
interface State {
  readonly id: string
  readonly name: string | undefined
  readonly description: string | undefined
  readonly metadata: { readonly [key: string]: Json } | undefined
  readonly settings: Settings
  readonly settingsProblems: { readonly [field: string]: Issue }
  readonly nodes: Link<Node> | undefined
  readonly nodeCount: number
  readonly connections: Link<Connection> | undefined
  readonly connectionCount: number
  readonly loops: Link<Loop> | undefined
  readonly loopCount: number
  readonly problems: Link<Issue> | undefined
}

const toArray = <A>(last: Link<A> | undefined, count: number): Array<A> => {
  const out = new Array<A>(count)
  let link = last
  for (let i = count - 1; i >= 0 && link !== undefined; i--) {
    out[i] = link.value
    link = link.previous
  }
  return out
}

const durationText = (input: unknown): string => {
  if (typeof input === "string") return JSON.stringify(input)
  try {
    return JSON.stringify(input) ?? String(input)
  } catch {
    return String(input)
  }
}

/** Milliseconds, or a message when `input` cannot be read as a duration. Range checks happen in validation. */
export const toMillis = (input: Duration.Input): number | { readonly problem: string } => {
  if (typeof input === "number") return input
  let parsed: Option.Option<Duration.Duration>
  try {
    parsed = Duration.fromInput(input)
  } catch {
    parsed = Option.none()
  }
  if (Option.isNone(parsed)) {
    return {
      problem: `could not read ${durationText(input)} as a duration; use e.g. "5 seconds", "200 millis" or a number of milliseconds`
    }
  }
  return Duration.toMillis(parsed.value)
}

/** Turns issues into the result; supplied by `Workflow.ts`, which owns the error class. */
export type Finish = (
  workflow: Workflow,
  issues: ReadonlyArray<Issue>
) => Result.Result<Workflow, WorkflowInvalid>

export class BuilderImpl implements Builder {
  constructor(
    private readonly state: State,
    private readonly finish: Finish
  ) {}

  static make(
    finish: Finish,
    id: string,
    options?: {
      readonly name?: string
      readonly description?: string
      readonly metadata?: { readonly [key: string]: Json }
    }
  ): BuilderImpl {
    return new BuilderImpl(
      {
        id,
        name: options?.name,
        description: options?.description,
        metadata: options?.metadata === undefined ? undefined : copyJson(options.metadata),
        settings: defaultSettings,
        settingsProblems: {},
        nodes: undefined,
        nodeCount: 0,
        connections: undefined,
        connectionCount: 0,
        loops: undefined,
        loopCount: 0,
        problems: undefined
      },
      finish
    )
  }

  get id(): string {
    return this.state.id
  }

  private with(patch: Partial<State>): BuilderImpl {
    return new BuilderImpl({ ...this.state, ...patch }, this.finish)
  }

  private addNode(base: Node, options: NodeOptionsInput | undefined): BuilderImpl {
    let problems = this.state.problems
    let node: Node = base
    if (options !== undefined) {
      const fields: { -readonly [K in keyof NodeOptions]: NodeOptions[K] } = {}
      if (options.description !== undefined) fields.description = options.description
      if (options.timeout !== undefined) {
        const millis = toMillis(options.timeout)
        if (typeof millis === "number") fields.timeout = millis
        else {
          problems = {
            value: {
              code: "InvalidDuration",
              path: `nodes[${this.state.nodeCount}].timeout`,
              message: `timeout of node '${base.id}': ${millis.problem}`
            },
            previous: problems
          }
        }
      }
      // Stored as given; validation reports anything that is not plain JSON data.
      if (options.retry !== undefined) fields.retry = copyJson(options.retry as RetrySpec)
      if (options.resources !== undefined) fields.resources = [...options.resources]
      if (options.concurrency !== undefined) {
        fields.concurrency = { key: options.concurrency.key, limit: options.concurrency.limit }
      }
      node = { ...base, ...fields }
    }
    return this.with({
      nodes: { value: node, previous: this.state.nodes },
      nodeCount: this.state.nodeCount + 1,
      problems
    })
  }

  code(id: string, source: string, options?: NodeOptionsInput): Builder {
    return this.addNode({ kind: "code", id, source }, options)
  }

  task(id: string, nameOrOptions?: string | NodeOptionsInput, options?: NodeOptionsInput): Builder {
    if (typeof nameOrOptions === "string") {
      return this.addNode({ kind: "task", id, function: nameOrOptions }, options)
    }
    return this.addNode({ kind: "task", id, function: id }, nameOrOptions)
  }

  delay(id: string, wait: DelayInput, options?: DelayOptionsInput): Builder {
    if (isUntil(wait)) return this.addNode({ kind: "delay", id, until: wait.until }, options)
    const millis = toMillis(wait)
    if (typeof millis === "number") {
      return this.addNode({ kind: "delay", id, duration: millis }, options)
    }
    const builder = this.addNode({ kind: "delay", id }, options)
    return builder.with({
      problems: {
        value: {
          code: "InvalidDuration",
          path: `nodes[${this.state.nodeCount}].duration`,
          message: `duration of delay node '${id}': ${millis.problem}`
        },
        previous: builder.state.problems
      }
    })
  }

  event(id: string, eventName: string, options?: EventOptionsInput): Builder {
    return this.addNode({ kind: "event", id, event: eventName }, options)
  }

  connect(from: string, output: string, to: string, input: string): Builder {
    return this.addConnection({ from, output, to, input })
  }

  onFailure(from: string, output: string, to: string, input: string): Builder {
    return this.addConnection({ from, output, to, input, on: "failure" })
  }

  private addConnection(connection: Connection): Builder {
    return this.with({
      connections: { value: connection, previous: this.state.connections },
      connectionCount: this.state.connectionCount + 1
    })
  }

  loop(id: string, nodes: ReadonlyArray<string>, options: LoopOptions): Builder {
    const until: Convergence = { ...options.until }
    const loop: Loop = {
      id,
      nodes: [...nodes],
      maxIterations: options.maxIterations,
      until,
      onMaxIterations: options.onMaxIterations ?? "fail"
    }
    return this.with({
      loops: { value: loop, previous: this.state.loops },
      loopCount: this.state.loopCount + 1
    })
  }

  private setting(patch: Partial<Settings>): BuilderImpl {
    return this.with({ settings: { ...this.state.settings, ...patch } })
  }

  private duration(
    field: "timeout" | "nodeTimeout" | "deadlockTimeout",
    input: Duration.Input
  ): BuilderImpl {
    const millis = toMillis(input)
    const { [field]: _previous, ...others } = this.state.settingsProblems
    if (typeof millis === "number") {
      return this.with({
        settings: { ...this.state.settings, [field]: millis },
        settingsProblems: others
      })
    }
    const { [field]: _dropped, ...settings } = this.state.settings
    return this.with({
      settings: settings as Settings,
      settingsProblems: {
        ...others,
        [field]: {
          code: "InvalidDuration",
          path: `settings.${field}`,
          message: `${field}: ${millis.problem}`
        }
      }
    })
  }

  parallel(): Builder {
    return this.setting({ mode: "parallel" })
  }

  sequential(): Builder {
    return this.setting({ mode: "sequential" })
  }

  concurrency(limit: number | "unbounded"): Builder {
    return this.setting({ concurrency: limit })
  }

  timeout(duration: Duration.Input): Builder {
    return this.duration("timeout", duration)
  }

  nodeTimeout(duration: Duration.Input): Builder {
    return this.duration("nodeTimeout", duration)
  }

  deadlockTimeout(duration: Duration.Input): Builder {
    return this.duration("deadlockTimeout", duration)
  }

  failFast(): Builder {
    return this.setting({ failureMode: "fail-fast" })
  }

  continueOnFailure(): Builder {
    return this.setting({ failureMode: "continue" })
  }

  /** The workflow value as built so far, without validation. */
  toWorkflow(): Workflow {
    const s = this.state
    const workflow: {
      -readonly [K in keyof Workflow]: Workflow[K]
    } = {
      version: 2,
      id: s.id,
      nodes: toArray(s.nodes, s.nodeCount),
      connections: toArray(s.connections, s.connectionCount),
      loops: toArray(s.loops, s.loopCount),
      settings: s.settings
    }
    if (s.name !== undefined) workflow.name = s.name
    if (s.description !== undefined) workflow.description = s.description
    if (s.metadata !== undefined) workflow.metadata = s.metadata
    return workflow
  }

  private problems(): Array<Issue> {
    const problems = toArray(this.state.problems, countLinks(this.state.problems))
    return [...Object.values(this.state.settingsProblems), ...problems]
  }

  private result(options: ValidateOptions | undefined): Result.Result<Workflow, WorkflowInvalid> {
    const workflow = this.toWorkflow()
    return this.finish(workflow, checkIssues(workflow, options, this.problems()))
  }

  build(options?: ValidateOptions): Workflow {
    const result = this.result(options)
    if (Result.isFailure(result)) throw result.failure
    return result.success
  }

  buildEffect(options?: ValidateOptions) {
    return Effect.suspend(() => Effect.fromResult(this.result(options)))
  }
}

const countLinks = <A>(last: Link<A> | undefined): number => {
  let count = 0
  for (let link = last; link !== undefined; link = link.previous) count++
  return count
}

/** `{ until: inputName }` rather than a `Duration.Input` (no duration form has an `until` key). */
const isUntil = (wait: DelayInput): wait is { readonly until: string } =>
  typeof wait === "object" && wait !== null && !Array.isArray(wait) && "until" in wait
