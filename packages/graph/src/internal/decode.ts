import { SchemaIssue } from "effect"
import type { Issue } from "./issue.js"
import { formatPath } from "./json.js"
import { describe, suggestion } from "./names.js"

/** The fields each object of the JSON form may have (the Schemas reject all others). */
const nodeOptionFields = ["description", "timeout", "retry", "resources", "concurrency"]
export const allowedFields = {
  workflow: [
    "version",
    "id",
    "name",
    "description",
    "metadata",
    "nodes",
    "connections",
    "loops",
    "settings"
  ],
  settings: ["mode", "concurrency", "timeout", "nodeTimeout", "deadlockTimeout", "failureMode"],
  code: ["kind", "id", "source", ...nodeOptionFields],
  task: ["kind", "id", "function", ...nodeOptionFields],
  delay: ["kind", "id", "duration", "until", ...nodeOptionFields],
  event: ["kind", "id", "event", ...nodeOptionFields],
  concurrency: ["key", "limit"],
  connection: ["from", "output", "to", "input", "on"],
  loop: ["id", "nodes", "maxIterations", "until", "onMaxIterations"],
  converged: ["kind", "node", "output", "tolerance"],
  condition: ["kind", "source"]
} as const

const at = (root: unknown, path: ReadonlyArray<PropertyKey>): unknown => {
  let current = root
  for (const segment of path) {
    if (current === null || typeof current !== "object") return undefined
    current = (current as { readonly [key: PropertyKey]: unknown })[segment]
  }
  return current
}

const kindOf = (value: unknown): unknown => (value as { readonly kind?: unknown } | null)?.kind

/** What object sits at `path` of the JSON form, and which fields it allows. */
const contextOf = (
  root: unknown,
  path: ReadonlyArray<PropertyKey>
): { readonly what: string; readonly fields: ReadonlyArray<string> } | undefined => {
  const [first, second, third] = path
  if (path.length === 0) return { what: "the workflow", fields: allowedFields.workflow }
  if (path.length === 1 && first === "settings")
    return { what: "the settings", fields: allowedFields.settings }
  if (path.length === 2 && first === "connections")
    return { what: "a connection", fields: allowedFields.connection }
  if (path.length === 2 && first === "loops") return { what: "a loop", fields: allowedFields.loop }
  if (path.length === 2 && first === "nodes") {
    const kind = kindOf(at(root, path))
    if (kind === "code") return { what: "a code node", fields: allowedFields.code }
    if (kind === "task") return { what: "a task node", fields: allowedFields.task }
    if (kind === "delay") return { what: "a delay node", fields: allowedFields.delay }
    if (kind === "event") return { what: "an event node", fields: allowedFields.event }
  }
  if (path.length === 3 && first === "nodes" && third === "concurrency")
    return { what: "a concurrency option", fields: allowedFields.concurrency }
  if (path.length === 3 && first === "loops" && typeof second === "number" && third === "until") {
    const kind = kindOf(at(root, path))
    if (kind === "converged")
      return { what: "a converged condition", fields: allowedFields.converged }
    if (kind === "condition") return { what: "a stop condition", fields: allowedFields.condition }
  }
  return undefined
}

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

const leafMessage = (issue: SchemaIssue.Issue): string => {
  const message = formatter(issue).issues[0]?.message ?? "Invalid value"
  return message.charAt(0).toLowerCase() + message.slice(1)
}

/** Turns a Schema decoding failure into issues with JSON paths and actionable messages. */
export const schemaIssues = (root: SchemaIssue.Issue, input: unknown): Array<Issue> => {
  const issues: Array<Issue> = []
  const visit = (issue: SchemaIssue.Issue, path: ReadonlyArray<PropertyKey>): void => {
    switch (issue._tag) {
      case "Pointer":
        visit(issue.issue, [...path, ...issue.path])
        return
      case "Composite":
        for (const child of issue.issues) visit(child, path)
        return
      case "Filter":
      case "Encoding":
        visit(issue.issue, path)
        return
      case "AnyOf":
        if (issue.issues.length > 0) {
          for (const child of issue.issues) visit(child, path)
          return
        }
        invalidValue(issue, path)
        return
      case "UnexpectedKey": {
        const key = String(path[path.length - 1])
        const parentPath = path.slice(0, -1)
        const context = contextOf(input, parentPath)
        const where = parentPath.length <= 1 ? "" : ` (${formatPath(parentPath)})`
        issues.push({
          code: "UnknownField",
          path: formatPath(path),
          message:
            context === undefined
              ? `unknown field '${key}'${where}; remove it`
              : `unknown field '${key}' in ${context.what}${where}.${suggestion(key, context.fields)} Allowed fields: ${context.fields.join(", ")}`
        })
        return
      }
      case "MissingKey": {
        const key = String(path[path.length - 1])
        const parentPath = path.slice(0, -1)
        const context = contextOf(input, parentPath)
        const where = parentPath.length <= 1 ? "" : ` (${formatPath(parentPath)})`
        issues.push({
          code: "MissingField",
          path: formatPath(path),
          message:
            key === "version"
              ? `missing field 'version'; add "version": 2`
              : `missing required field '${key}' in ${context?.what ?? "this object"}${where}; add it`
        })
        return
      }
      default:
        invalidValue(issue, path)
    }
  }
  const invalidValue = (issue: SchemaIssue.Issue, path: ReadonlyArray<PropertyKey>): void => {
    const value = at(input, path)
    const last = path[path.length - 1]
    if (path.length === 1 && last === "version") {
      issues.push({
        code: "UnsupportedVersion",
        path: "version",
        message: `version ${describe(value)} is not supported; this @weft/graph reads versions 1 and 2`
      })
      return
    }
    const isNode = path.length === 2 && path[0] === "nodes"
    const isUntil = path.length === 3 && path[0] === "loops" && path[2] === "until"
    if (
      (isNode || isUntil) &&
      value !== null &&
      typeof value === "object" &&
      !Array.isArray(value)
    ) {
      const expected = isNode ? `"code", "task", "delay" or "event"` : `"converged" or "condition"`
      issues.push({
        code: "InvalidField",
        path: `${formatPath(path)}.kind`,
        message: `kind must be ${expected}, got ${describe(kindOf(value))}`
      })
      return
    }
    const expected = leafMessage(issue)
    issues.push({
      code: "InvalidField",
      path: formatPath(path),
      message: `${expected.startsWith("expected {") ? "expected an object" : expected}, got ${describe(value)}`
    })
  }
  visit(root, [])
  return issues
}
