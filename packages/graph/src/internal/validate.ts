import { problem as keyProblem } from "../ConcurrencyKey.js"
import { problem as pathProblem } from "../Path.js"
import type { ValidateOptions, Workflow } from "../Workflow.js"
import {
  type Adjacency,
  buildAdjacency,
  cycleThrough,
  cyclicComponents,
  type GraphIndex,
  indexOf,
  kahn
} from "./graphIndex.js"
import type { Issue, IssueCode } from "./issue.js"
import { notJsonAll } from "./json.js"
import { describe, idProblem, inputNameProblem, listNames, suggestion } from "./names.js"

const durationProblem = (label: string, value: unknown): string | undefined => {
  if (typeof value !== "number") {
    return `${label} must be a number of milliseconds, got ${describe(value)}`
  }
  if (Number.isNaN(value))
    return `${label} is NaN; give a duration such as "5 seconds" or 5000 (ms)`
  if (!Number.isFinite(value)) {
    return `${label} is infinite; omit it for no limit, or give a finite duration such as "1 minute"`
  }
  if (value < 0) return `${label} is negative (${value} ms); give a positive duration`
  if (value === 0)
    return `${label} is 0 ms, so it would expire at once; give a positive duration or omit it`
  return undefined
}

const isSpace = (code: number) => code <= 32 || code === 160 || code === 0xfeff

/** Non-empty with no surrounding whitespace, without allocating. */
const isTrimmedName = (name: string): boolean =>
  name.length > 0 && !isSpace(name.charCodeAt(0)) && !isSpace(name.charCodeAt(name.length - 1))

const isPositiveFinite = (value: unknown): value is number =>
  typeof value === "number" && Number.isFinite(value) && value > 0

const isRecord = (value: unknown): value is { readonly [key: string]: unknown } =>
  value !== null && typeof value === "object" && !Array.isArray(value)

/** Runs the injected checker; a checker that throws (or returns a non-string) becomes an issue. */
const runCheck = (
  checkSyntax: (source: string) => string | undefined,
  source: string
): { readonly message: string; readonly threw: boolean } | undefined => {
  try {
    const message: unknown = checkSyntax(source)
    if (message === undefined) return undefined
    return { message: typeof message === "string" ? message : describe(message), threw: false }
  } catch (error) {
    return {
      message: error instanceof Error ? error.message : describe(error),
      threw: true
    }
  }
}

/**
 * Collects every problem of a workflow value, in O(nodes + connections) (plus the
 * `checkSyntax` calls). Never throws on malformed input: wrong types become issues.
 */
export const collectIssues = (
  workflow: Workflow,
  options: ValidateOptions | undefined
): Array<Issue> => {
  const issues: Array<Issue> = []
  const add = (code: IssueCode, path: string, message: string) => {
    issues.push({ code, path, message })
  }
  const checkSyntax = options?.checkSyntax

  if (!isRecord(workflow)) {
    add("InvalidField", "", `a workflow must be an object, got ${describe(workflow)}`)
    return issues
  }
  if (workflow.version !== 1 && workflow.version !== 2) {
    add(
      "UnsupportedVersion",
      "version",
      `version ${describe(workflow.version)} is not supported; this @weft/graph reads versions 1 and 2`
    )
  }
  const idIssue = idProblem("workflow id", workflow.id)
  if (idIssue !== undefined) add("InvalidId", "id", idIssue)
  for (const key of ["name", "description"] as const) {
    const value = workflow[key]
    if (value !== undefined && typeof value !== "string") {
      add("InvalidField", key, `${key} must be a string, got ${describe(value)}`)
    }
  }
  if (workflow.metadata !== undefined) {
    if (!isRecord(workflow.metadata)) {
      add(
        "NotJson",
        "metadata",
        `metadata must be a JSON object, got ${describe(workflow.metadata)}`
      )
    } else {
      for (const bad of notJsonAll(workflow.metadata, "metadata")) {
        add("NotJson", bad.path, bad.message)
      }
    }
  }

  // settings
  const settings = isRecord(workflow.settings) ? workflow.settings : undefined
  if (settings === undefined) {
    add(
      "InvalidField",
      "settings",
      `settings must be an object, got ${describe(workflow.settings)}`
    )
  } else {
    if (settings.mode !== "parallel" && settings.mode !== "sequential") {
      add(
        "InvalidField",
        "settings.mode",
        `mode must be "parallel" or "sequential", got ${describe(settings.mode)}`
      )
    }
    if (settings.failureMode !== "fail-fast" && settings.failureMode !== "continue") {
      add(
        "InvalidField",
        "settings.failureMode",
        `failureMode must be "fail-fast" or "continue", got ${describe(settings.failureMode)}`
      )
    }
    const concurrency = settings.concurrency
    if (
      concurrency !== "unbounded" &&
      !(typeof concurrency === "number" && Number.isInteger(concurrency) && concurrency >= 1)
    ) {
      add(
        "InvalidLimit",
        "settings.concurrency",
        `concurrency must be a whole number of at least 1 or "unbounded", got ${describe(concurrency)}`
      )
    }
    for (const key of ["timeout", "nodeTimeout", "deadlockTimeout"] as const) {
      const value = settings[key]
      if (value === undefined) continue
      const message = durationProblem(key, value)
      if (message !== undefined) add("InvalidDuration", `settings.${key}`, message)
    }
    if (isPositiveFinite(settings.timeout)) {
      for (const key of ["nodeTimeout", "deadlockTimeout"] as const) {
        const value = settings[key]
        if (isPositiveFinite(value) && value >= settings.timeout) {
          const consequence =
            key === "nodeTimeout"
              ? "a node would never time out before the whole workflow does"
              : "a deadlock would be reported as a workflow timeout"
          add(
            "TimeoutConflict",
            `settings.${key}`,
            `${key} (${value} ms) is not shorter than the workflow timeout (${settings.timeout} ms), so ${consequence}; lower ${key} or raise timeout`
          )
        }
      }
    }
  }
  const workflowTimeout = isPositiveFinite(settings?.timeout) ? settings.timeout : undefined

  // nodes
  const nodes = Array.isArray(workflow.nodes) ? workflow.nodes : []
  if (!Array.isArray(workflow.nodes)) {
    add("InvalidField", "nodes", `nodes must be an array, got ${describe(workflow.nodes)}`)
  }
  const index: GraphIndex = indexOf(workflow)
  const firstDeclaration = index.position
  const nodeLabel = (i: number): string => {
    const id = (nodes[i] as { readonly id?: unknown } | null)?.id
    return typeof id === "string" ? `'${id}'` : `nodes[${i}]`
  }
  const keyProblems = new Map<string, string | undefined>()
  for (let i = 0; i < nodes.length; i++) {
    const node: unknown = nodes[i]
    if (!isRecord(node)) {
      add("InvalidField", `nodes[${i}]`, `a node must be an object, got ${describe(node)}`)
      continue
    }
    const id = node.id
    const problem = idProblem("node id", id)
    if (problem !== undefined) add("InvalidId", `nodes[${i}].id`, problem)
    if (typeof id === "string") {
      const first = firstDeclaration.get(id)
      if (first !== undefined && first !== i) {
        add(
          "DuplicateId",
          `nodes[${i}].id`,
          `node id '${id}' is already used by nodes[${first}]; node ids must be unique, rename one of them`
        )
      }
    }
    if (node.kind === "code") {
      if (typeof node.source !== "string") {
        add(
          "InvalidField",
          `nodes[${i}].source`,
          `source must be a string, got ${describe(node.source)}`
        )
      } else if (checkSyntax !== undefined) {
        const checked = runCheck(checkSyntax, node.source)
        if (checked !== undefined) {
          add(
            "SyntaxError",
            `nodes[${i}].source`,
            checked.threw
              ? `the syntax check of code node ${nodeLabel(i)} threw: ${checked.message}; fix the checker or the source`
              : `code node ${nodeLabel(i)} does not parse: ${checked.message}`
          )
        }
      }
    } else if (node.kind === "task") {
      const name = node.function
      if (typeof name !== "string" || !isTrimmedName(name)) {
        add(
          "InvalidFunctionName",
          `nodes[${i}].function`,
          typeof name === "string"
            ? `task node ${nodeLabel(i)} has function name ${JSON.stringify(name)}; give the name the host function is registered under, without surrounding spaces`
            : `function must be a string, got ${describe(name)}`
        )
      }
    } else if (node.kind === "delay") {
      delayIssues(node, i, nodeLabel(i), add)
    } else if (node.kind === "event") {
      const name = node.event
      if (typeof name !== "string" || !isTrimmedName(name) || name === "__proto__") {
        add(
          "InvalidEventName",
          `nodes[${i}].event`,
          typeof name !== "string"
            ? `event must be a string, got ${describe(name)}`
            : name === "__proto__"
              ? `event node ${nodeLabel(i)} waits for event '__proto__', a reserved name; choose another`
              : `event node ${nodeLabel(i)} has event name ${JSON.stringify(name)}; give the name events are sent under (execution.send(name, payload)), without surrounding spaces`
        )
      }
    } else {
      add(
        "InvalidField",
        `nodes[${i}].kind`,
        `kind must be "code", "task", "delay" or "event", got ${describe(node.kind)}`
      )
    }
    const waits = node.kind === "delay" || node.kind === "event"
    if (waits) {
      for (const field of node.kind === "delay" ? delayRejects : eventRejects) {
        if (node[field] === undefined) continue
        add(
          "UnsupportedOption",
          `nodes[${i}].${field}`,
          `${node.kind} node ${nodeLabel(i)} does not take '${field}': ${unsupportedWhy[field]}; remove it`
        )
      }
    }
    if (workflow.version === 1) {
      if (waits) {
        add(
          "UnsupportedVersion",
          `nodes[${i}].kind`,
          `${node.kind} nodes need version 2, but the workflow says version 1; set "version": 2`
        )
      }
      if (node.concurrency !== undefined) {
        add(
          "UnsupportedVersion",
          `nodes[${i}].concurrency`,
          `the concurrency option needs version 2, but the workflow says version 1; set "version": 2`
        )
      }
    }
    if (node.concurrency !== undefined && !waits) {
      concurrencyIssues(node.concurrency, i, nodeLabel(i), keyProblems, add)
    }
    if (node.description !== undefined && typeof node.description !== "string") {
      add(
        "InvalidField",
        `nodes[${i}].description`,
        `description must be a string, got ${describe(node.description)}`
      )
    }
    if (node.timeout !== undefined && node.kind !== "delay") {
      const message = durationProblem(`timeout of node ${nodeLabel(i)}`, node.timeout)
      if (message !== undefined) add("InvalidDuration", `nodes[${i}].timeout`, message)
      else if (workflowTimeout !== undefined && (node.timeout as number) >= workflowTimeout) {
        add(
          "TimeoutConflict",
          `nodes[${i}].timeout`,
          `timeout of node ${nodeLabel(i)} (${node.timeout as number} ms) is not shorter than the workflow timeout (${workflowTimeout} ms), so it would never fire; lower it or raise the workflow timeout`
        )
      }
    }
    if (node.retry !== undefined && !waits) {
      if (!isRecord(node.retry)) {
        add(
          "NotJson",
          `nodes[${i}].retry`,
          `retry must be a retry policy object (plain JSON data), got ${describe(node.retry)}`
        )
      } else {
        for (const bad of notJsonAll(node.retry, `nodes[${i}].retry`)) {
          add("NotJson", bad.path, `retry policy of node ${nodeLabel(i)}: ${bad.message}`)
        }
      }
    }
    if (node.resources !== undefined && !waits) {
      if (!Array.isArray(node.resources)) {
        add(
          "InvalidResource",
          `nodes[${i}].resources`,
          `resources must be an array of resource names, got ${describe(node.resources)}`
        )
      } else {
        const seen = new Set<string>()
        node.resources.forEach((resource: unknown, r: number) => {
          if (typeof resource !== "string" || resource.trim() === "") {
            add(
              "InvalidResource",
              `nodes[${i}].resources[${r}]`,
              `resource names must be non-empty strings, got ${describe(resource)}`
            )
          } else if (seen.has(resource)) {
            add(
              "InvalidResource",
              `nodes[${i}].resources[${r}]`,
              `resource '${resource}' is listed twice for node ${nodeLabel(i)}; remove the duplicate`
            )
          } else seen.add(resource)
        })
      }
    }
  }
  const knownIds = () => Array.from(firstDeclaration.keys())
  const unknownNode = (name: unknown, context: string) =>
    typeof name === "string"
      ? `${context} unknown node '${name}'.${suggestion(name, firstDeclaration.keys())} Known nodes: ${listNames(knownIds())}`
      : `${context} a node id, but got ${describe(name)}`

  // loops
  const loops = Array.isArray(workflow.loops) ? workflow.loops : []
  if (!Array.isArray(workflow.loops)) {
    add("InvalidField", "loops", `loops must be an array, got ${describe(workflow.loops)}`)
  }
  const loopIds = new Map<string, number>()
  const membership = new Map<string, number>()
  for (let l = 0; l < loops.length; l++) {
    const loop: unknown = loops[l]
    const at = `loops[${l}]`
    if (!isRecord(loop)) {
      add("InvalidField", at, `a loop must be an object, got ${describe(loop)}`)
      continue
    }
    const problem = idProblem("loop id", loop.id)
    if (problem !== undefined) add("InvalidId", `${at}.id`, problem)
    else if (typeof loop.id === "string") {
      const first = loopIds.get(loop.id)
      if (first === undefined) loopIds.set(loop.id, l)
      else {
        add(
          "DuplicateId",
          `${at}.id`,
          `loop id '${loop.id}' is already used by loops[${first}]; loop ids must be unique`
        )
      }
    }
    const label = typeof loop.id === "string" ? `'${loop.id}'` : at
    const body: ReadonlyArray<unknown> = Array.isArray(loop.nodes) ? loop.nodes : []
    if (!Array.isArray(loop.nodes)) {
      add(
        "InvalidField",
        `${at}.nodes`,
        `nodes must be an array of node ids, got ${describe(loop.nodes)}`
      )
    } else if (body.length === 0) {
      add(
        "InvalidLoop",
        `${at}.nodes`,
        `loop ${label} has no nodes; list the nodes of its body in order`
      )
    }
    const inThisLoop = new Set<string>()
    for (let p = 0; p < body.length; p++) {
      const member = body[p]
      if (typeof member !== "string" || !firstDeclaration.has(member)) {
        add("UnknownNode", `${at}.nodes[${p}]`, unknownNode(member, `loop ${label} lists`))
        continue
      }
      if (inThisLoop.has(member)) {
        add(
          "InvalidLoop",
          `${at}.nodes[${p}]`,
          `node '${member}' is listed twice in loop ${label}; list each body node once`
        )
        continue
      }
      inThisLoop.add(member)
      const other = membership.get(member)
      if (other !== undefined) {
        const otherId = (loops[other] as { readonly id?: unknown } | undefined)?.id
        add(
          "InvalidLoop",
          `${at}.nodes[${p}]`,
          `node '${member}' is already in loop ${describe(otherId)} (loops[${other}]); a node can belong to one loop only`
        )
      } else membership.set(member, l)
    }
    const max = loop.maxIterations
    if (!(typeof max === "number" && Number.isInteger(max) && max >= 1)) {
      add(
        "InvalidLimit",
        `${at}.maxIterations`,
        `maxIterations of loop ${label} must be a whole number of at least 1, got ${describe(max)}`
      )
    }
    if (loop.onMaxIterations !== "fail" && loop.onMaxIterations !== "succeed") {
      add(
        "InvalidField",
        `${at}.onMaxIterations`,
        `onMaxIterations must be "fail" or "succeed", got ${describe(loop.onMaxIterations)}`
      )
    }
    const until = loop.until
    if (!isRecord(until)) {
      add(
        "InvalidField",
        `${at}.until`,
        `until must be a convergence condition (Loop.converged or Loop.condition), got ${describe(until)}`
      )
    } else if (until.kind === "converged") {
      if (typeof until.node !== "string" || !firstDeclaration.has(until.node)) {
        add(
          "UnknownNode",
          `${at}.until.node`,
          unknownNode(until.node, `loop ${label} converges on`)
        )
      } else if (!inThisLoop.has(until.node)) {
        add(
          "InvalidLoop",
          `${at}.until.node`,
          `loop ${label} converges on node '${until.node}', which is not in its body; use one of: ${listNames(Array.from(inThisLoop))}`
        )
      }
      if (typeof until.output !== "string") {
        add(
          "InvalidPath",
          `${at}.until.output`,
          `output must be a dot path, got ${describe(until.output)}`
        )
      } else {
        const message = pathProblem(until.output)
        if (message !== undefined) add("InvalidPath", `${at}.until.output`, message)
      }
      const tolerance = until.tolerance
      if (!(typeof tolerance === "number" && Number.isFinite(tolerance) && tolerance >= 0)) {
        add(
          "InvalidLimit",
          `${at}.until.tolerance`,
          `tolerance of loop ${label} must be a finite number of at least 0, got ${describe(tolerance)}`
        )
      }
    } else if (until.kind === "condition") {
      if (typeof until.source !== "string" || until.source.trim() === "") {
        add(
          "InvalidLoop",
          `${at}.until.source`,
          `the stop condition of loop ${label} is empty; write an expression such as "iteration >= 3"`
        )
      } else if (checkSyntax !== undefined) {
        const checked = runCheck(checkSyntax, until.source)
        if (checked !== undefined) {
          add(
            "SyntaxError",
            `${at}.until.source`,
            checked.threw
              ? `the syntax check of the stop condition of loop ${label} threw: ${checked.message}; fix the checker or the condition`
              : `the stop condition of loop ${label} does not parse: ${checked.message}`
          )
        }
      }
    } else {
      add(
        "InvalidField",
        `${at}.until.kind`,
        `until.kind must be "converged" or "condition", got ${describe(until.kind)}`
      )
    }
  }

  // connections
  const connections = Array.isArray(workflow.connections) ? workflow.connections : []
  if (!Array.isArray(workflow.connections)) {
    add(
      "InvalidField",
      "connections",
      `connections must be an array, got ${describe(workflow.connections)}`
    )
  }
  for (let c = 0; c < connections.length; c++) {
    const connection: unknown = connections[c]
    if (!isRecord(connection)) {
      add(
        "InvalidField",
        `connections[${c}]`,
        `a connection must be an object, got ${describe(connection)}`
      )
      continue
    }
    const { from, to, output, input } = connection
    const fromKnown = index.sourceOf[c] !== -1
    const toKnown = index.targetOf[c] !== -1
    if (!fromKnown)
      add("UnknownNode", `connections[${c}].from`, unknownNode(from, "connection from"))
    if (!toKnown) add("UnknownNode", `connections[${c}].to`, unknownNode(to, "connection to"))
    if (typeof output !== "string") {
      add(
        "InvalidPath",
        `connections[${c}].output`,
        `output must be a dot path ("" = whole output), got ${describe(output)}`
      )
    } else {
      const message = pathProblem(output)
      if (message !== undefined) add("InvalidPath", `connections[${c}].output`, message)
    }
    const inputIssue = inputNameProblem(input)
    if (inputIssue !== undefined) add("InvalidInputName", `connections[${c}].input`, inputIssue)
    const on = connection.on
    if (on !== undefined) {
      if (workflow.version === 1) {
        add(
          "UnsupportedVersion",
          `connections[${c}].on`,
          `the 'on' field of connections needs version 2, but the workflow says version 1; set "version": 2`
        )
      }
      if (on !== "success" && on !== "failure") {
        add(
          "InvalidField",
          `connections[${c}].on`,
          `on must be "success" or "failure" (or omitted for success), got ${describe(on)}`
        )
      } else if (on === "failure" && fromKnown) {
        const source = nodes[index.sourceOf[c]!] as {
          readonly kind?: unknown
          readonly until?: unknown
        }
        if (source.kind === "delay" && source.until === undefined) {
          add(
            "InvalidConnection",
            `connections[${c}].on`,
            `failure connection from delay node '${String(from)}', which waits a fixed duration and cannot fail; make it an ordinary connection or remove it`
          )
        } else if (index.feedback[c] === 1) {
          add(
            "InvalidConnection",
            `connections[${c}].on`,
            `failure connection from '${String(from)}' back to '${String(to)}' inside a loop: a failure ends the iteration, so it cannot feed the next one; route the failure to a node after the loop instead`
          )
        }
      }
    }
    if (fromKnown && toKnown && from === to && index.feedback[c] !== 1) {
      add(
        "SelfConnection",
        `connections[${c}]`,
        `connection from '${from}' to itself outside any loop: a node cannot wait for its own output; remove it, or put '${from}' in a loop so each iteration receives the previous one's output`
      )
    }
  }

  duplicateInputs(connections, index, add)
  graphIssues(workflow, index, add)
  return issues
}

/**
 * The same connection listed twice (same source, path, target, input and trigger). Several
 * *different* connections may feed one input — the first that delivers wins — but an exact
 * repeat is always a slip. Connections are grouped by target (counting sort); small groups are
 * compared pairwise, large ones through a Map, so the usual case allocates nothing per connection.
 */
const duplicateInputs = (
  connections: ReadonlyArray<unknown>,
  index: GraphIndex,
  add: (code: IssueCode, path: string, message: string) => void
): void => {
  const { size, targetOf } = index
  const count = connections.length
  const start = new Int32Array(size + 1)
  for (let c = 0; c < count; c++) if (targetOf[c] !== -1) start[targetOf[c]! + 1]!++
  for (let v = 0; v < size; v++) start[v + 1]! += start[v]!
  const fill = start.slice(0, size)
  const grouped = new Int32Array(start[size]!)
  for (let c = 0; c < count; c++) if (targetOf[c] !== -1) grouped[fill[targetOf[c]!]!++] = c
  type Loose = {
    readonly input?: unknown
    readonly from?: unknown
    readonly output?: unknown
    readonly to?: unknown
    readonly on?: unknown
  }
  const at = (c: number): Loose => connections[c] as Loose
  const trigger = (c: number): unknown => at(c).on ?? "success"
  const same = (a: number, b: number): boolean => {
    const x = at(a)
    const y = at(b)
    return (
      x.input === y.input && x.from === y.from && x.output === y.output && trigger(a) === trigger(b)
    )
  }
  const report = (c: number, first: number) => {
    const connection = at(c)
    add(
      "DuplicateInput",
      `connections[${c}]`,
      `connections[${c}] repeats connections[${first}] (${String(connection.from)}${trigger(c) === "failure" ? " on failure" : ""} → ${String(connection.to)}.${String(connection.input)}); remove one of them`
    )
  }
  for (let v = 0; v < size; v++) {
    const begin = start[v]!
    const end = start[v + 1]!
    if (end - begin < 2) continue
    if (end - begin <= 8) {
      for (let k = begin + 1; k < end; k++) {
        if (typeof at(grouped[k]!).input !== "string") continue
        for (let j = begin; j < k; j++) {
          if (same(grouped[k]!, grouped[j]!)) {
            report(grouped[k]!, grouped[j]!)
            break
          }
        }
      }
      continue
    }
    const first = new Map<string, number>()
    for (let k = begin; k < end; k++) {
      const c = grouped[k]!
      const connection = at(c)
      if (typeof connection.input !== "string") continue
      const key = `${connection.input}\u0000${String(connection.from)}\u0000${String(connection.output)}\u0000${String(trigger(c))}`
      const earlier = first.get(key)
      if (earlier === undefined) first.set(key, c)
      else report(c, earlier)
    }
  }
}

/** Options a delay / event node does not take, and why (shown in the issue). */
const delayRejects = ["timeout", "retry", "resources", "concurrency"] as const
const eventRejects = ["retry", "resources", "concurrency"] as const
const unsupportedWhy = {
  timeout:
    "a delay waits exactly its duration or until its timestamp; bound the run with the workflow timeout",
  retry: "waiting is not retried",
  resources: "it runs no code that could use them",
  concurrency: "waiting takes no execution slot"
} as const

const delayIssues = (
  node: { readonly [key: string]: unknown },
  i: number,
  label: string,
  add: (code: IssueCode, path: string, message: string) => void
): void => {
  const { duration, until } = node
  if (duration === undefined && until === undefined) {
    add(
      "InvalidDelay",
      `nodes[${i}]`,
      `delay node ${label} has neither 'duration' nor 'until'; give a duration in milliseconds, or 'until' naming the input that holds an epoch-ms timestamp`
    )
  } else if (duration !== undefined && until !== undefined) {
    add(
      "InvalidDelay",
      `nodes[${i}]`,
      `delay node ${label} has both 'duration' and 'until'; keep one: a fixed wait, or a wait until the timestamp in an input`
    )
  }
  if (duration !== undefined) {
    const what = `duration of delay node ${label}`
    const message =
      typeof duration !== "number"
        ? `${what} must be a number of milliseconds, got ${describe(duration)}`
        : Number.isNaN(duration)
          ? `${what} is NaN; give a duration such as "5 seconds" or 5000 (ms)`
          : !Number.isFinite(duration)
            ? `${what} is infinite; a delay must end — give a finite duration, or use an event node to wait for something`
            : duration < 0
              ? `${what} is negative (${duration} ms); give 0 or more`
              : undefined
    if (message !== undefined) add("InvalidDuration", `nodes[${i}].duration`, message)
  }
  if (until !== undefined) {
    const problem = inputNameProblem(until)
    if (problem !== undefined) {
      add(
        "InvalidInputName",
        `nodes[${i}].until`,
        `'until' of delay node ${label} names the input holding the timestamp: ${problem}`
      )
    }
  }
}

const concurrencyIssues = (
  value: unknown,
  i: number,
  label: string,
  // many nodes share one template: check each distinct template once per validation
  checked: Map<string, string | undefined>,
  add: (code: IssueCode, path: string, message: string) => void
): void => {
  const at = `nodes[${i}].concurrency`
  if (!isRecord(value)) {
    add(
      "InvalidField",
      at,
      `concurrency of node ${label} must be { key, limit }, got ${describe(value)}`
    )
    return
  }
  if (typeof value.key !== "string") {
    add("InvalidConcurrencyKey", `${at}.key`, `key must be a string, got ${describe(value.key)}`)
  } else {
    let problem = checked.get(value.key)
    if (problem === undefined && !checked.has(value.key)) {
      problem = keyProblem(value.key)
      checked.set(value.key, problem)
    }
    if (problem !== undefined)
      add("InvalidConcurrencyKey", `${at}.key`, `node ${label}: ${problem}`)
  }
  const limit = value.limit
  if (!(typeof limit === "number" && Number.isInteger(limit) && limit >= 1)) {
    add(
      "InvalidLimit",
      `${at}.limit`,
      `concurrency limit of node ${label} must be a whole number of at least 1, got ${describe(limit)}`
    )
  }
}

const graphIssues = (
  workflow: Workflow,
  index: GraphIndex,
  add: (code: IssueCode, path: string, message: string) => void
): void => {
  const { size, ids } = index
  if (index.order.length < size) {
    const { component, groups } = cyclicComponents(size, index.out)
    for (const group of groups) {
      const cycle = cycleThrough(group[0]!, index.out, component)
      const names = cycle.nodes.map((v) => ids[v]!)
      const members = Array.from(new Set(names))
      add(
        "Cycle",
        `connections[${cycle.via[cycle.via.length - 1]!}]`,
        `connections form a cycle outside any loop: ${names.join(" → ")}; remove one of these connections, or declare the nodes as a loop (.loop(id, [${members.map((m) => JSON.stringify(m)).join(", ")}], …)) so the backward connection becomes feedback`
      )
    }
    return
  }
  const loops: ReadonlyArray<{ readonly id?: unknown }> = Array.isArray(workflow.loops)
    ? workflow.loops
    : []
  if (loops.length === 0) return
  // Collapse each loop into one vertex: a cycle there means a path leaves a loop and re-enters it.
  const condensedSize = size + loops.length
  const vertex = (v: number) => (index.loopOf[v] === -1 ? v : size + index.loopOf[v]!)
  const edgeCount = index.out.target.length
  const from = new Int32Array(edgeCount)
  const to = new Int32Array(edgeCount)
  const via = new Int32Array(edgeCount)
  let edges = 0
  for (let u = 0; u < size; u++) {
    for (let slot = index.out.start[u]!; slot < index.out.start[u + 1]!; slot++) {
      const a = vertex(u)
      const b = vertex(index.out.target[slot]!)
      if (a === b) continue
      from[edges] = a
      to[edges] = b
      via[edges] = index.out.via[slot]!
      edges++
    }
  }
  const out: Adjacency = buildAdjacency(condensedSize, edges, from, to, via)
  const incoming = buildAdjacency(condensedSize, edges, to, from, via)
  if (kahn(condensedSize, out, incoming).length === condensedSize) return
  const { component, groups } = cyclicComponents(condensedSize, out)
  for (const group of groups) {
    const start = group.find((v) => v >= size) ?? group[0]!
    const cycle = cycleThrough(start, out, component)
    const loop = loops[start - size]
    const steps = cycle.via.map((c) => {
      const connection = workflow.connections[c]!
      return `${String(connection.from)} → ${String(connection.to)}`
    })
    add(
      "LoopReentry",
      `loops[${start - size}]`,
      `connections leave loop '${String(loop?.id)}' and come back into it (${steps.join(", ")}); nodes after a loop see only its last iteration, so they cannot feed it. Move the nodes in between into the loop, or remove one of these connections`
    )
  }
}
