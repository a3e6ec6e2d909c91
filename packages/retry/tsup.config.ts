import { defineConfig } from "tsup"

// tsup builds the JavaScript; `tsc -p tsconfig.build.json` writes the .d.ts files unbundled,
// because bundled declarations lose one side of a value and a type that share a name inside
// `export * as X` modules. One entry per public module so `@weft/retry/<Module>` resolves; internals are bundled in.
export default defineConfig({
  entry: ["src/*.ts"],
  format: ["esm"],
  sourcemap: true,
  clean: true,
  splitting: true,
  treeshake: true,
  target: "node22"
})
