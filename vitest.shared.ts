// Shared vitest settings for every package: the default reporter for people, and a JSON
// report in test-results/ that .ci/run sums into its closing line (turbo caches it).
// Plain data (no import): the root has no vitest of its own; each package merges this.
export const shared = {
  test: {
    include: ["test/**/*.test.ts"],
    reporters: ["default", ["json", { outputFile: "test-results/vitest.json" }]],
    typecheck: { enabled: true, include: ["test/**/*.test-d.ts"], tsconfig: "./tsconfig.json" },
    testTimeout: 30_000,
    hookTimeout: 30_000
  }
}
