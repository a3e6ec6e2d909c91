// Example: testing that an iterative computation converges.
//
// Each execution runs one optimisation step from the current value (Newton's method for √2).
// `assertConverges` samples until successive values settle within the tolerance: a big first
// step is fine, but values that keep oscillating fail the assertion.
import { Workflow } from "@weft/graph"
import { workflowTest } from "@weft/testing"
import { expect } from "vitest"

const newtonStep = Workflow.make("optimizer")
  .code("optimizer", "return { current_value: (x + target / x) / 2 }")
  .build()

workflowTest("an optimisation converges to its fixed point", async ({ harness }) => {
  let x = 100 // a poor first guess: the first steps are big
  const getMetricValue = async () => {
    const result = await harness.execute(newtonStep, { x, target: 2 })
    x = result.outputs.optimizer
      ? (result.outputs.optimizer as { current_value: number }).current_value
      : Number.NaN
    return x
  }

  const convergence = await harness.assertConverges(getMetricValue, {
    tolerance: 1e-9,
    samples: 20
  })

  expect(convergence.value).toBeCloseTo(Math.SQRT2, 9)
})

workflowTest("an oscillating computation does not converge", async ({ harness }) => {
  const flipFlop = Workflow.make("flip_flop")
    .code("optimizer", "return { current_value: 10 - x }")
    .build()
  let x = 0
  const getMetricValue = async () => {
    const result = await harness.execute(flipFlop, { x })
    x = (result.outputs.optimizer as { current_value: number }).current_value
    return x
  }

  await expect(
    harness.assertConverges(getMetricValue, { tolerance: 1, samples: 8 })
  ).rejects.toThrow("the values oscillate")
})
