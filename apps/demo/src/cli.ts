import { Workflow } from "@weft/graph"
import { Policy } from "@weft/retry"
import { Runtime } from "@weft/runtime"
import { Sandbox } from "@weft/sandbox"
import { Effect } from "effect"
import { describeDemo } from "./describe.js"

const workflow = Workflow.make("checkout")
const result = await Effect.runPromise(Runtime.execute(workflow))
console.log(describeDemo({ result, delays: Policy.delays(Policy.exponential({ base: 200, maxAttempts: 4 })), identifier: Sandbox.isValidInputName("cart") }))
