import { Schema } from "effect"

/** Every issue code validation can report; kept in one list so the Schema and the type agree. */
export const issueCodes = [
  "InvalidId",
  "DuplicateId",
  "UnknownNode",
  "SelfConnection",
  "Cycle",
  "LoopReentry",
  "InvalidPath",
  "DuplicateInput",
  "InvalidInputName",
  "InvalidDuration",
  "InvalidLimit",
  "TimeoutConflict",
  "SyntaxError",
  "InvalidLoop",
  "InvalidResource",
  "InvalidFunctionName",
  "InvalidDelay",
  "InvalidEventName",
  "UnsupportedOption",
  "InvalidConnection",
  "InvalidConcurrencyKey",
  "NotJson",
  "UnknownField",
  "MissingField",
  "InvalidField",
  "UnsupportedVersion",
  "InvalidJson"
] as const

export type IssueCode = (typeof issueCodes)[number]

export const IssueSchema = Schema.Struct({
  code: Schema.Literals(issueCodes),
  path: Schema.String,
  message: Schema.String
})

export interface Issue {
  readonly code: IssueCode
  readonly path: string
  readonly message: string
}

/** Orders issues by where they are (id, settings, nodes, loops, connections), then by index. */
const sectionRank: Record<string, number> = {
  "": 0,
  version: 0,
  id: 0,
  name: 0,
  description: 0,
  metadata: 0,
  settings: 1,
  nodes: 2,
  loops: 3,
  connections: 4
}

const sortKey = (path: string): readonly [number, number] => {
  const match = /^([A-Za-z]*)(?:\[(\d+)\])?/.exec(path)
  const section = match?.[1] ?? ""
  const index = match?.[2] === undefined ? -1 : Number(match[2])
  return [sectionRank[section] ?? 5, index]
}

export const sortIssues = (issues: ReadonlyArray<Issue>): Array<Issue> =>
  issues
    .map((issue, position) => ({ issue, position, key: sortKey(issue.path) }))
    .sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1] || a.position - b.position)
    .map((entry) => entry.issue)
