import { Duration } from "effect"

/** Reads a `Duration.Input`; untyped callers can pass anything, so unreadable is `undefined`, never a throw. */
export const readDuration = (input: Duration.Input): Duration.Duration | undefined => {
  try {
    const duration = Duration.fromInput(input)
    return duration._tag === "Some" ? duration.value : undefined
  } catch {
    return undefined
  }
}
