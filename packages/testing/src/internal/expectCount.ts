// Harness assertions count toward vitest's `expect.assertions(n)` / `expect.hasAssertions()`,
// like an `expect(...)` call does (vitest counts calls, passing or not).
import { expect } from "vitest"

export const countAssertion = (): void => {
  try {
    const state = expect.getState()
    expect.setState({ assertionCalls: state.assertionCalls + 1 })
  } catch {
    // outside a vitest test: nothing to count
  }
}
