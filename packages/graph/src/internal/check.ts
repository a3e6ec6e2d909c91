import type { ValidateOptions, Workflow } from "../Workflow.js"
import { type Issue, sortIssues } from "./issue.js"
import { collectIssues } from "./validate.js"

/** Every problem of `workflow` (plus `extra` ones found while building), sorted by location. */
export const checkIssues = (
  workflow: Workflow,
  options: ValidateOptions | undefined,
  extra: ReadonlyArray<Issue> = []
): ReadonlyArray<Issue> => {
  const found = collectIssues(workflow, options)
  if (found.length === 0 && extra.length === 0) return found
  if (extra.length === 0) return sortIssues(found)
  // A field the builder could not read is left out of the value; do not also report its absence.
  const covered = new Set(extra.map((issue) => issue.path))
  const rest = found.filter(
    (issue) =>
      !covered.has(issue.path) &&
      !(issue.code === "InvalidDelay" && covered.has(`${issue.path}.duration`))
  )
  return sortIssues([...extra, ...rest])
}
