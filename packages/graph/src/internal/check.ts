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
  return sortIssues(extra.length === 0 ? found : [...extra, ...found])
}
