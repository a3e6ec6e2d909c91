import { mergeConfig } from "vitest/config"
import { shared } from "../../vitest.shared.ts"

// Crash tests spawn child processes that share one machine with other suites: generous bounds.
export default mergeConfig(shared, { test: { testTimeout: 120_000, hookTimeout: 60_000 } })
