import { defineConfig } from "tsup"

// One entry per public module so `@weft/sandbox/<Module>` resolves; internals are bundled in.
export default defineConfig({
  entry: ["src/*.ts"],
  format: ["esm"],
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: true,
  treeshake: true,
  target: "node22"
})
