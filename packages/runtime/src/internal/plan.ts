// Compiles a workflow into the normalised plan the scheduler runs: integer-indexed nodes, their
// inputs with pre-split paths, and scheduling units (a plain node, or a whole loop).
import { Workflow as GraphWorkflow } from "@weft/graph"
import { Sandbox } from "@weft/sandbox"
import { IntHeap } from "./heap.js"
import type { Loop, Node, WorkflowData } from "./model.js"

export interface PlanInput {
  readonly input: string
  readonly from: number
  readonly fromId: string
  readonly path: string
  readonly segments: ReadonlyArray<string>
  /** Delivers the previous iteration's value (a backwards connection inside a loop). */
  readonly feedback: boolean
  /** A failure connection: delivers the source's final error (as JSON) when it failed. */
  readonly failure: boolean
  /** The input group (plan-wide index) when fed from another unit, else -1. */
  readonly group: number
}

/**
 * A connection between two units. It resolves when its source unit finishes: it delivers
 * (success connection and the source succeeded, or failure connection and it failed), or not.
 */
export interface PlanFeed {
  /** Source node. */
  readonly from: number
  /** Target node and the position of this connection in its `inputs`. */
  readonly to: number
  readonly input: number
  readonly group: number
  readonly failure: boolean
}

export interface PlanNode {
  readonly index: number
  readonly id: string
  readonly node: Node
  readonly inputs: ReadonlyArray<PlanInput>
  readonly unit: number
  readonly timeout: number | undefined
  readonly resources: ReadonlyArray<string>
  /** It has a failure connection: its failures are handled (no fail-fast, not a run error). */
  readonly handlesFailure: boolean
}

export interface PlanUnit {
  readonly index: number
  readonly nodes: ReadonlyArray<number>
  readonly loop: Loop | undefined
  /** Input groups of its nodes fed from other units: it is ready when each has delivered. */
  readonly groupCount: number
  /** Connections from its nodes to other units (indices into `Plan.feeds`). */
  readonly feeds: ReadonlyArray<number>
}

export interface Plan {
  readonly workflow: WorkflowData
  readonly nodes: ReadonlyArray<PlanNode>
  readonly units: ReadonlyArray<PlanUnit>
  /** Topological rank of each unit (declaration order breaks ties). */
  readonly rank: Int32Array
  readonly nodeIndex: ReadonlyMap<string, number>
  readonly feeds: ReadonlyArray<PlanFeed>
  /** Per input group: its unit, and how many connections feed it (the first that delivers wins). */
  readonly groupUnit: Int32Array
  readonly groupFeeds: Int32Array
  /** Why the plan cannot run, if it cannot. */
  readonly problem: string | undefined
  /** The `@weft/graph` validation issues that make the workflow not executable. */
  readonly issues: ReadonlyArray<PlanIssue>
}

export interface PlanIssue {
  readonly code: string
  readonly path: string
  readonly message: string
  /** For a syntax error: where, in the user's own source (1-based). */
  readonly line?: number
  readonly column?: number
}

// Validation issues the engine runs fine with: `version` is not part of the runtime's input type,
// and names, JSON-ness of metadata, timeout advice and syntax are checked again where they matter
// (the sandbox, FunctionNotFound, the retry-policy decode).
const tolerated: ReadonlySet<string> = new Set([
  "UnsupportedVersion",
  "TimeoutConflict",
  "InvalidInputName",
  "InvalidId",
  "InvalidFunctionName",
  "NotJson",
  "SyntaxError",
  "UnknownField"
])

// names the engine uses as record keys and in typed errors: tolerated only when they are strings
const stringValued: ReadonlySet<string> = new Set([
  "InvalidId",
  "InvalidInputName",
  "InvalidFunctionName"
])

/** The value at a validation issue's path (`nodes[2].id`, `connections[0].input`). */
const valueAt = (workflow: unknown, path: string): unknown => {
  let current = workflow
  for (const part of path.split(".")) {
    const match = /^([^[\]]*)(?:\[(\d+)\])?$/.exec(part)
    if (match === null || typeof current !== "object" || current === null) return undefined
    if (match[1] !== "") current = (current as Record<string, unknown>)[match[1]!]
    if (match[2] !== undefined) {
      if (!Array.isArray(current)) return undefined
      current = current[Number(match[2])]
    }
  }
  return current
}

const isTolerated = (workflow: unknown, issue: PlanIssue): boolean => {
  if (!tolerated.has(issue.code)) return false
  if (!stringValued.has(issue.code)) return true
  const value = valueAt(workflow, issue.path)
  return typeof value === "string" && value !== "__proto__"
}

const defaultSettings: WorkflowData["settings"] = {
  mode: "parallel",
  concurrency: "unbounded",
  failureMode: "fail-fast"
}

const describeIssues = (issues: ReadonlyArray<PlanIssue>): string => {
  const listed = issues
    .slice(0, 10)
    .map((issue) => `${issue.path || "(workflow)"}: ${issue.message}`)
  if (issues.length > 10) listed.push(`… and ${issues.length - 10} more (see .issues)`)
  return `the workflow is invalid (validate it with Workflow.validate from @weft/graph): ${listed.join("; ")}`
}

const cache = new WeakMap<WorkflowData, Plan>()

export const planOf = (workflow: WorkflowData): Plan => {
  // an unvalidated value (raw JSON) may be anything: it gets a typed error, never a crash
  if (typeof workflow !== "object" || workflow === null) return checked(workflow)
  let plan = cache.get(workflow)
  if (plan === undefined) {
    plan = checked(workflow)
    cache.set(workflow, plan)
  }
  return plan
}

/**
 * Code that does not parse never starts: every code node's source and every loop condition,
 * checked before any node runs, with line and column in the user's own source.
 */
const syntaxIssues = (workflow: WorkflowData): Array<PlanIssue> => {
  const issues: Array<PlanIssue> = []
  const nodes = Array.isArray(workflow.nodes) ? workflow.nodes : []
  nodes.forEach((node, index) => {
    if (node?.kind !== "code" || typeof node.source !== "string") return
    const error = Sandbox.checkSyntaxSync(node.source)
    if (error !== undefined)
      issues.push(syntaxIssue(`nodes[${index}].source`, `code node ${node.id}`, error))
  })
  const loops = Array.isArray(workflow.loops) ? workflow.loops : []
  loops.forEach((loop, index) => {
    const until = loop?.until
    if (until?.kind !== "condition" || typeof until.source !== "string") return
    const error = Sandbox.checkSyntaxSync(until.source, { as: "condition" })
    if (error !== undefined) {
      issues.push(
        syntaxIssue(`loops[${index}].until.source`, `the condition of loop ${loop.id}`, error)
      )
    }
  })
  return issues
}

const syntaxIssue = (
  path: string,
  what: string,
  error: {
    readonly message: string
    readonly line?: number | undefined
    readonly column?: number | undefined
  }
): PlanIssue => {
  const at =
    error.line === undefined
      ? ""
      : ` at line ${error.line}${error.column === undefined ? "" : `, column ${error.column}`}`
  return {
    code: "SyntaxError",
    path,
    message: `${what} does not parse${at}: ${error.message}`,
    ...(error.line === undefined ? {} : { line: error.line }),
    ...(error.column === undefined ? {} : { column: error.column })
  }
}

const checked = (workflow: WorkflowData): Plan => {
  const issues: Array<PlanIssue> = GraphWorkflow.issues(
    workflow as unknown as GraphWorkflow.Workflow
  ).filter((issue) => !isTolerated(workflow, issue))
  if (issues.length === 0) {
    const syntax = syntaxIssues(workflow)
    if (syntax.length === 0) return compile(workflow, [])
    issues.push(...syntax)
  }
  try {
    // the plan still lists the nodes (all reported as skipped); settings only need to be readable
    const settings = (workflow as { readonly settings?: unknown }).settings
    return compile(
      typeof settings === "object" && settings !== null
        ? workflow
        : { ...workflow, settings: defaultSettings },
      issues
    )
  } catch {
    // too malformed to lay out its nodes: an empty plan that only reports the issues
    const id = (workflow as { readonly id?: unknown } | null)?.id
    const empty: WorkflowData = {
      id: typeof id === "string" ? id : "(unnamed)",
      nodes: [],
      connections: [],
      loops: [],
      settings: defaultSettings
    }
    return {
      ...compile(empty, []),
      workflow: empty,
      problem: describeIssues(issues),
      issues
    }
  }
}

const splitPath = (path: string): ReadonlyArray<string> => (path === "" ? [] : path.split("."))

const compile = (workflow: WorkflowData, issues: ReadonlyArray<PlanIssue>): Plan => {
  const nodeIndex = new Map<string, number>()
  workflow.nodes.forEach((node, index) => {
    nodeIndex.set(node.id, index)
  })
  const nodeCount = workflow.nodes.length
  let problem: string | undefined = issues.length === 0 ? undefined : describeIssues(issues)

  // units: one per loop, then one per node outside loops
  const unitOfNode = new Int32Array(nodeCount).fill(-1)
  const loopPosition = new Int32Array(nodeCount).fill(-1)
  const unitNodes: Array<Array<number>> = []
  const unitLoops: Array<Loop | undefined> = []
  const unitFirst: Array<number> = []
  for (const loop of workflow.loops) {
    const unit = unitNodes.length
    const members: Array<number> = []
    loop.nodes.forEach((id, position) => {
      const index = nodeIndex.get(id)
      if (index === undefined) {
        problem ??= `loop ${loop.id} refers to unknown node ${id}`
        return
      }
      if (unitOfNode[index] !== -1) {
        problem ??= `node ${id} belongs to more than one loop`
        return
      }
      unitOfNode[index] = unit
      loopPosition[index] = position
      members.push(index)
    })
    unitNodes.push(members)
    unitLoops.push(loop)
    unitFirst.push(members.length === 0 ? nodeCount : Math.min(...members))
  }
  for (let index = 0; index < nodeCount; index++) {
    if (unitOfNode[index] === -1) {
      unitOfNode[index] = unitNodes.length
      unitNodes.push([index])
      unitLoops.push(undefined)
      unitFirst.push(index)
    }
  }
  const unitCount = unitNodes.length

  const inputs: Array<Array<PlanInput>> = Array.from({ length: nodeCount }, () => [])
  const successorSets: Array<Set<number>> = Array.from({ length: unitCount }, () => new Set())
  const predecessorSets: Array<Set<number>> = Array.from({ length: unitCount }, () => new Set())
  const handlesFailure = new Uint8Array(nodeCount)
  // input groups: one per (node, input name) fed from another unit
  const groupOf = new Map<string, number>()
  const groupUnits: Array<number> = []
  const groupFeedCounts: Array<number> = []
  const unitGroups = new Int32Array(unitCount)
  const feeds: Array<PlanFeed> = []
  const unitFeeds: Array<Array<number>> = Array.from({ length: unitCount }, () => [])
  for (const connection of workflow.connections) {
    const from = nodeIndex.get(connection.from)
    const to = nodeIndex.get(connection.to)
    if (from === undefined || to === undefined) {
      problem ??= `connection ${connection.from} → ${connection.to} refers to an unknown node`
      continue
    }
    const fromUnit = unitOfNode[from]!
    const toUnit = unitOfNode[to]!
    const failure = connection.on === "failure"
    if (failure) handlesFailure[from] = 1
    const feedback =
      fromUnit === toUnit &&
      unitLoops[fromUnit] !== undefined &&
      loopPosition[from]! >= loopPosition[to]!
    let group = -1
    if (fromUnit !== toUnit) {
      const key = `${to}\u0000${connection.input}`
      const known = groupOf.get(key)
      if (known === undefined) {
        group = groupUnits.length
        groupOf.set(key, group)
        groupUnits.push(toUnit)
        groupFeedCounts.push(0)
        unitGroups[toUnit]!++
      } else {
        group = known
      }
      groupFeedCounts[group]!++
      unitFeeds[fromUnit]!.push(feeds.length)
      feeds.push({ from, to, input: inputs[to]!.length, group, failure })
      successorSets[fromUnit]!.add(toUnit)
      predecessorSets[toUnit]!.add(fromUnit)
    }
    inputs[to]!.push({
      input: connection.input,
      from,
      fromId: connection.from,
      path: connection.output,
      segments: splitPath(connection.output),
      feedback,
      failure,
      group
    })
  }

  // Kahn over units, declaration order breaking ties
  const rank = new Int32Array(unitCount).fill(-1)
  const remaining = predecessorSets.map((set) => set.size)
  const heap = new IntHeap(unitFirst)
  for (let unit = 0; unit < unitCount; unit++) if (remaining[unit] === 0) heap.push(unit)
  let next = 0
  while (heap.size > 0) {
    const unit = heap.pop()!
    rank[unit] = next++
    for (const successor of successorSets[unit]!) {
      if (--remaining[successor]! === 0) heap.push(successor)
    }
  }
  if (next < unitCount) {
    const stuck = []
    for (let unit = 0; unit < unitCount; unit++) {
      if (rank[unit] === -1) {
        stuck.push(...unitNodes[unit]!.map((index) => workflow.nodes[index]!.id))
        rank[unit] = next++
      }
    }
    problem ??= `nodes ${stuck.join(", ")} depend on each other through a loop (a node outside a loop sits between two of its nodes, or a cycle outside any loop)`
  }

  const nodes: Array<PlanNode> = workflow.nodes.map((node, index) => ({
    index,
    id: node.id,
    node,
    inputs: inputs[index]!,
    unit: unitOfNode[index]!,
    // a delay or event node's own `timeout` is its wait's bound (see waits.ts), not an attempt limit
    timeout:
      node.kind === "delay" || node.kind === "event"
        ? undefined
        : (node.timeout ?? workflow.settings.nodeTimeout),
    resources: node.resources ?? [],
    handlesFailure: handlesFailure[index] === 1
  }))
  const units: Array<PlanUnit> = unitNodes.map((members, index) => ({
    index,
    nodes: members,
    loop: unitLoops[index],
    groupCount: unitGroups[index]!,
    feeds: unitFeeds[index]!
  }))
  return {
    workflow,
    nodes,
    units,
    rank,
    nodeIndex,
    feeds,
    groupUnit: Int32Array.from(groupUnits),
    groupFeeds: Int32Array.from(groupFeedCounts),
    problem,
    issues
  }
}
