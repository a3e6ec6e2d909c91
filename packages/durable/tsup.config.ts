import { defineConfig, type Options } from "tsup"
import { packageBuild } from "../../tsup.shared.ts"

// `node:sqlite` has no bare-name alias (unlike `fs`): keep the `node:` prefix tsup strips by default.
export default defineConfig({ ...(packageBuild() as Options), removeNodeProtocol: false })
