// The table printed after each execution: node, status, attempts, duration.
import { Workflow } from "@weft/graph"
import type { ExecutionResult } from "@weft/runtime"
import { duration, type Style, table } from "./format.js"

const paint = (status: string, s: Style): string =>
  status === "succeeded"
    ? s.green(status)
    : status === "failed" || status === "timed-out"
      ? s.red(status)
      : s.dim(status)

export const render = (
  workflow: Workflow.Workflow,
  result: ExecutionResult.ExecutionResult,
  s: Style
): string => {
  const order = Workflow.topologicalOrder(workflow)
  const ids = [...order, ...Object.keys(result.nodes).filter((id) => !order.includes(id))]
  const rows = ids.map((id) => {
    const node = result.nodes[id]
    if (node === undefined) return [id, s.dim("not run"), "0", "-"]
    const attempts =
      node.iterations > 1
        ? `${node.attempts} (${node.iterations} iterations)`
        : String(node.attempts)
    return [id, paint(node.status, s), attempts, duration(node.duration)]
  })
  return table(["node", "status", "attempts", "duration"], rows)
}
