// Connections between units: when a unit finishes, each of its outgoing connections delivers
// (a success connection from a node that succeeded, a failure connection from one that failed)
// or not. A unit is ready once every input group of its nodes has a delivery (the first wins);
// it is skipped once some group can no longer get one — which also resolves its own connections,
// so skips flow downstream.
import { type ExecutionState, FAILED, SKIPPED, SUCCEEDED, TIMED_OUT } from "./state.js"

const failed = (status: number): boolean => status === FAILED || status === TIMED_OUT

/** Resolves the connections of finished unit `unit` (`ok`: it succeeded as a whole). */
export const resolveFeeds = (state: ExecutionState, unit: number, ok: boolean): void => {
  const plan = state.plan
  let pending: Array<number> | undefined
  let outgoing = plan.units[unit]!.feeds
  let source = ok
  while (true) {
    for (let k = 0; k < outgoing.length; k++) {
      const feed = plan.feeds[outgoing[k]!]!
      const group = feed.group
      if (state.winner[group]! >= 0) continue
      const status = state.status[feed.from]!
      const delivers = feed.failure ? failed(status) : source && status === SUCCEEDED
      const target = plan.groupUnit[group]!
      if (delivers) {
        state.winner[group] = feed.input
        if (--state.groupsLeft[target]! === 0 && state.unitStarted[target] === 0) {
          schedule(state, target)
        }
      } else if (--state.feedsLeft[group]! === 0 && state.unitStarted[target] === 0) {
        state.unitStarted[target] = 1
        const at = state.now()
        const reason = skipReason(state, feed.from, feed.failure)
        for (const index of plan.units[target]!.nodes) state.skipNode(index, at, reason)
        pending ??= []
        pending.push(target)
      }
    }
    if (pending === undefined || pending.length === 0) return
    // a skipped unit's connections deliver nothing (failure connections included)
    const next = pending.pop()!
    outgoing = plan.units[next]!.feeds
    source = false
  }
}

const skipReason = (state: ExecutionState, from: number, failure: boolean): string => {
  const id = state.plan.nodes[from]!.id
  const status = state.status[from]!
  if (status === SKIPPED) return `upstream node ${id} was skipped`
  if (failure) return `node ${id} did not fail (only its failure connection feeds this node)`
  if (failed(status)) return `upstream node ${id} failed`
  return `upstream node ${id} did not finish`
}

export const schedule = (state: ExecutionState, unit: number): void => {
  state.ready.push(unit)
  const nodes = state.plan.units[unit]!.nodes
  const at = state.now()
  for (let m = 0; m < nodes.length; m++) {
    state.emit({
      type: "node-scheduled",
      at,
      executionId: state.executionId,
      nodeId: state.plan.nodes[nodes[m]!]!.id
    })
  }
}
