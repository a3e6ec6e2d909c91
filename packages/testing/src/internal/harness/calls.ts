// Calling user code: registered functions (task nodes, host calls) and resource factories. A
// pending Promise may be real I/O or may wait on the harness clock; the region tells them apart.
import type { Runtime } from "@weft/runtime"
import { Effect } from "effect"
import type { Workflow } from "../../Harness.js"
import type { Region } from "../../VirtualTime.js"
import { accountedFor, legitimately } from "../suspensions.js"
import type { Faults } from "./faults.js"
import { isPromiseLike, isTaskContext, toEffect } from "./sources.js"

export type CallTracked = (
  label: string,
  call: () => unknown,
  onInterrupt?: () => void
) => Effect.Effect<unknown, unknown>

export const makeCallTracked = (region: Region): CallTracked => {
  /**
   * Calls a user function. A pending Promise it returns may be real I/O (a real client), so it
   * holds virtual time still — unless it is waiting on the harness clock itself (a fixture
   * call, an execution it started), which the region tells apart.
   */
  const callTracked: CallTracked = (label, call, onInterrupt) =>
    Effect.suspend(() => {
      let value: unknown
      let end: () => void
      try {
        ;({ value, end } = region.callUnknown(label, call))
      } catch (error) {
        return Effect.fail(error)
      }
      if (!isPromiseLike(value)) {
        end()
        return toEffect(value)
      }
      const pending = value
      // Accounted for by `callUnknown` (with what it starts on its behalf), not by the tracer.
      return Effect.callback<unknown, unknown>(
        accountedFor((resume: (effect: Effect.Effect<unknown, unknown>) => void) => {
          pending.then(
            (a) => {
              end()
              legitimately(() => resume(Effect.succeed(a)))
            },
            (error: unknown) => {
              end()
              legitimately(() => resume(Effect.fail(error)))
            }
          )
          return Effect.sync(() => {
            end()
            onInterrupt?.()
          })
        })
      )
    })

  return callTracked
}

export const makeFunctionsFor = (
  functions: Map<string, Runtime.RegisteredFunction>,
  { faults, intercept }: Faults,
  callTracked: CallTracked
) => {
  const functionsFor = (
    workflow: Workflow,
    extra?: { readonly [name: string]: Runtime.RegisteredFunction }
  ): { [name: string]: Runtime.RegisteredFunction } => {
    const out: { [name: string]: Runtime.RegisteredFunction } = {}
    const all = extra === undefined ? functions : new Map([...functions, ...Object.entries(extra)])
    for (const [name, fn] of all) {
      // Task nodes call `fn(inputs, context)`; code nodes call it as a host function with the
      // guest's arguments — only task calls are node attempts that faults apply to.
      out[name] = ((...args: Array<unknown>) => {
        const context = args[1]
        const call = () => (fn as (...a: Array<unknown>) => unknown)(...args)
        if (!isTaskContext(context)) return callTracked(`function ${name}`, call)
        const abort = (context as { abort?: unknown }).abort
        return intercept(
          context.nodeId,
          () =>
            callTracked(
              `function ${name} (node ${context.nodeId})`,
              call,
              typeof abort === "function" ? () => abort.call(context) : undefined
            ),
          (o) => o
        )
      }) as Runtime.RegisteredFunction
    }
    // A mocked or failed task node needs no real function: its attempts reach the faults.
    for (const node of workflow.nodes) {
      const nodeFaults = faults.get(node.id)
      if (
        node.kind === "task" &&
        !Object.hasOwn(out, node.function) &&
        nodeFaults !== undefined &&
        (nodeFaults.mock !== undefined || nodeFaults.consumable.length > 0)
      ) {
        out[node.function] = ((_inputs: unknown, context: Runtime.TaskContext) =>
          intercept(
            context.nodeId,
            () => Effect.die(new Error(`function ${node.function} is not registered`)),
            (o) => o
          )) as Runtime.RegisteredFunction
      }
    }
    return out
  }

  return functionsFor
}
