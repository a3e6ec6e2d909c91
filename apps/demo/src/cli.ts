import { Workflow } from "@weft/graph"
import { Policy } from "@weft/retry"
import { Runtime } from "@weft/runtime"
import { Sandbox } from "@weft/sandbox"
import { Effect } from "effect"
import { describeDemo } from "./describe.js"

const workflow = Workflow.make("checkout")
const result = await Effect.runPromise(Runtime.execute(workflow))
console.log(describeDemo({ result, delays: Policy.delays({ maxAttempts: 4, baseMillis: 200 }), identifier: Sandbox.isValidInputName("cart") }))
