// Assertions on the calls the workflow made to harness resources, and on the last result.
import type { CallExpectation, TestResult } from "../../Harness.js"
import * as Assert from "../../Assert.js"
import { fail, formatMillis, show } from "../assertionFailed.js"
import type { ResourceCall } from "../recording.js"
import type { Entry } from "./resources.js"

export const makeCallAssertions = (
  entries: Map<string, Entry>,
  results: ReadonlyArray<TestResult>
) => {
  const entryOf = (assertion: string, name: string): Entry => {
    const entry = entries.get(name)
    if (entry === undefined) {
      throw fail(
        assertion,
        `no resource "${name}"; registered: ${[...entries.keys()].join(", ") || "(none)"}`
      )
    }
    return entry
  }
  const describeCalls = (name: string, calls: ReadonlyArray<ResourceCall>) =>
    calls.length === 0
      ? `  (no calls to ${name})`
      : calls
          .slice(0, 15)
          .map(
            (call, i) =>
              `  #${i + 1} [${formatMillis(call.at)}] ${call.method}(${call.args.map((a) => show(a)).join(", ")})${call.outcome === "threw" ? ` threw ${show(call.error)}` : ""}`
          )
          .join("\n") + (calls.length > 15 ? `\n  ... ${calls.length - 15} more` : "")

  const argsMatch = (actual: ReadonlyArray<unknown>, expected: ReadonlyArray<unknown>) =>
    expected.every((arg, i) =>
      Assert.jsonEquals(JSON.parse(JSON.stringify(actual[i] ?? null)), arg)
    )

  const last = (assertion: string): TestResult => {
    const result = results.at(-1)
    if (result === undefined)
      throw fail(assertion, "no workflow has been executed by this harness yet")
    return result
  }

  const assertResourceCalled = (name: string, method: string, expected: CallExpectation = {}) => {
    const entry = entryOf("assertResourceCalled", name)
    const ofMethod = entry.calls.filter((c) => c.method === method)
    const matching =
      expected.with === undefined
        ? ofMethod
        : ofMethod.filter((c) => argsMatch(c.args, expected.with!))
    const what = `${name}.${method}${expected.with === undefined ? "" : ` with (${expected.with.map((a) => show(a)).join(", ")})`}`
    if (expected.times === undefined ? matching.length === 0 : matching.length !== expected.times) {
      const wanted =
        expected.times === undefined
          ? "at least once"
          : `${expected.times} time${expected.times === 1 ? "" : "s"}`
      throw fail(
        "assertResourceCalled",
        `expected ${what} to be called ${wanted}, it was called ${matching.length} time${matching.length === 1 ? "" : "s"}\ncalls to ${name}:\n${describeCalls(name, entry.calls)}`
      )
    }
  }
  const assertResourceNotCalled = (name: string, method?: string) => {
    const entry = entryOf("assertResourceNotCalled", name)
    const calls =
      method === undefined ? entry.calls : entry.calls.filter((c) => c.method === method)
    if (calls.length > 0) {
      throw fail(
        "assertResourceNotCalled",
        `expected ${method === undefined ? name : `${name}.${method}`} not to be called, it was called ${calls.length} time${calls.length === 1 ? "" : "s"}\n${describeCalls(name, calls)}`
      )
    }
  }
  return { entryOf, last, assertResourceCalled, assertResourceNotCalled }
}
