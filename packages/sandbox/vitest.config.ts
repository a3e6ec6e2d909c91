import { mergeConfig } from "vitest/config"
import { shared } from "../../vitest.shared.ts"

// --expose-gc lets the security suite check that memory returns to its baseline.
export default mergeConfig(shared, { test: { execArgv: ["--expose-gc"] } })
