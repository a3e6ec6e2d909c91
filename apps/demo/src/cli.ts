import { main } from "./main.js"

// a last resort: whatever escapes main still ends as one line, not a stack trace
const crash = (error: unknown) => {
  const message = error instanceof Error ? error.message : String(error)
  process.stderr.write(`weft-demo: unexpected error: ${message}\n`)
  process.exit(1)
}
process.on("uncaughtException", crash)
process.on("unhandledRejection", crash)

// pnpm runs package scripts from the package directory; INIT_CWD is where the user typed the command
process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.env.INIT_CWD ?? process.cwd(),
  env: process.env
})
