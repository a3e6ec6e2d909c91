// The build every @weft package shares. tsup writes the JavaScript (ESM, one entry per public
// module so `@weft/<pkg>/<Module>` resolves; internals are bundled in); `tsc -p
// tsconfig.build.json` writes the .d.ts files unbundled, because bundled declarations lose one
// side of a value and a type that share a name inside `export * as X` modules.
import { defineConfig } from "tsup"

export const packageBuild = (extraEntries: ReadonlyArray<string> = []) =>
  defineConfig({
    entry: ["src/*.ts", ...extraEntries],
    format: ["esm"],
    sourcemap: true,
    clean: true,
    splitting: true,
    treeshake: true,
    target: "node22"
  })
