import { packageBuild } from "../../tsup.shared.ts"

// Worker threads load the engine and the worker entry by file URL, so they are entries too.
export default packageBuild(["src/internal/engine.ts", "src/internal/worker.ts"])
