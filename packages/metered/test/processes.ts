// Spawning lock holders as real child processes.
import { type ChildProcess, spawn } from "node:child_process"
import { randomUUID } from "node:crypto"
import path from "node:path"

const script = path.join(import.meta.dirname, "lockHolder.ts")

export interface Holder {
  readonly child: ChildProcess
  /** Resolves with the intervals the process held the lock, when it exits with 0. */
  readonly done: Promise<ReadonlyArray<{ readonly start: number; readonly end: number }>>
  /** Resolves when the process prints `locked`. */
  readonly locked: Promise<void>
}

export const holder = (args: ReadonlyArray<string | number>): Holder => {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args.map(String)], {
    cwd: path.join(import.meta.dirname, ".."),
    stdio: ["ignore", "pipe", "pipe"]
  })
  let out = ""
  let err = ""
  let onLocked: () => void = () => {}
  const locked = new Promise<void>((resolve) => {
    onLocked = resolve
  })
  child.stdout!.on("data", (chunk: Buffer) => {
    out += chunk.toString()
    if (out.includes("locked\n")) onLocked()
  })
  child.stderr!.on("data", (chunk: Buffer) => {
    err += chunk.toString()
  })
  const done = new Promise<ReadonlyArray<{ readonly start: number; readonly end: number }>>(
    (resolve, reject) => {
      child.on("exit", (code, signal) => {
        if (code !== 0) {
          reject(new Error(`lock holder exited with ${code ?? signal}: ${err}`))
          return
        }
        resolve(
          out
            .split("\n")
            .filter((line) => line.startsWith("{"))
            .map((line) => JSON.parse(line) as { start: number; end: number })
        )
      })
    }
  )
  return { child, done, locked }
}

export const overlapping = (
  intervals: ReadonlyArray<{ readonly start: number; readonly end: number }>
): ReadonlyArray<string> => {
  const sorted = [...intervals].sort((a, b) => a.start - b.start)
  const problems: Array<string> = []
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.start < sorted[i - 1]!.end) {
      problems.push(
        `[${sorted[i - 1]!.start}, ${sorted[i - 1]!.end}] and [${sorted[i]!.start}, ${sorted[i]!.end}]`
      )
    }
  }
  return problems
}

/**
 * The same scenario for every lock backend: two processes take one lock (a fresh key) 6 times
 * each, holding it 60 ms each time. Returns how many intervals they held it and which overlapped.
 */
export const contendingProcesses = async (backend: "redis" | "postgres", url: string) => {
  const key = `contended:${randomUUID()}`
  const a = holder([backend, url, key, 6, 60, 2000])
  const b = holder([backend, url, key, 6, 60, 2000])
  const intervals = (await Promise.all([a.done, b.done])).flat()
  return { held: intervals.length, overlapping: overlapping(intervals) }
}
