import { fileURLToPath } from "node:url"
import { mergeConfig } from "vitest/config"
import { shared } from "../../vitest.shared.ts"

// The examples import "@weft/testing" as a user would; point that at the sources.
export default mergeConfig(shared, {
  resolve: {
    alias: { "@weft/testing": fileURLToPath(new URL("./src/index.ts", import.meta.url)) }
  }
})
