// Per-key concurrency (`NodeOptions.concurrency: { key, limit }`), in process: at most `limit`
// attempts executing at once per resolved key, across the runtime's executions, served in the
// order they asked. A key's entry lives only while someone holds or waits for it.
import { Effect, type Scope } from "effect"
import { type PathMiss, getPath } from "./paths.js"
import type { Json } from "./model.js"

interface Entry {
  active: number
  readonly waiters: Array<() => void>
}

export class KeyedLimiter {
  private readonly entries = new Map<string, Entry>()

  /** Takes a slot of `key` (interruptible while queued); `limit` is the key's first user's. */
  take(key: string, limit: number): Effect.Effect<void> {
    return Effect.callback<void>((resume) => {
      let entry = this.entries.get(key)
      if (entry === undefined) {
        entry = { active: 0, waiters: [] }
        this.entries.set(key, entry)
      }
      if (entry.active < limit && entry.waiters.length === 0) {
        entry.active++
        resume(Effect.void)
        return
      }
      const current = entry
      const grant = () => {
        current.active++
        resume(Effect.void)
      }
      current.waiters.push(grant)
      return Effect.sync(() => {
        const at = current.waiters.indexOf(grant)
        if (at >= 0) current.waiters.splice(at, 1)
        this.tidy(key, current)
      })
    })
  }

  release(key: string, limit: number): void {
    const entry = this.entries.get(key)
    if (entry === undefined) return
    entry.active--
    while (entry.active < limit && entry.waiters.length > 0) entry.waiters.shift()!()
    this.tidy(key, entry)
  }

  /** `take` + `release` bound to the current scope (the public `Attempt.inProcess` limiter). */
  slot(key: string, limit: number): Effect.Effect<{}, never, Scope.Scope> {
    return Effect.acquireRelease(Effect.as(this.take(key, limit), {}), () =>
      Effect.sync(() => this.release(key, limit))
    )
  }

  private tidy(key: string, entry: Entry): void {
    if (entry.active <= 0 && entry.waiters.length === 0) this.entries.delete(key)
  }
}

/** A key template's `{path}` placeholders filled from the node's inputs, or what is missing. */
export const resolveKey = (
  template: string,
  inputs: { readonly [key: string]: Json }
): string | { readonly placeholder: string } => {
  let missing: string | undefined
  const key = template.replace(/\{([^{}]*)\}/g, (_, path: string) => {
    const value: Json | PathMiss = getPath(inputs, path === "" ? [] : path.split("."))
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
      return String(value)
    }
    missing ??= path
    return ""
  })
  return missing === undefined ? key : { placeholder: missing }
}
