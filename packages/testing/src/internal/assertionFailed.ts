import { Duration, Schema } from "effect"

/** Thrown (Promise API) or failed with (Effect API) by every assertion of @weft/testing. */
export class AssertionFailed extends Schema.TaggedError<AssertionFailed>()("AssertionFailed", {
  assertion: Schema.String,
  message: Schema.String
}) {}

export const fail = (assertion: string, message: string): AssertionFailed =>
  new AssertionFailed({ assertion, message: `${assertion}: ${message}` })

export const millisOf = (input: Duration.Input): number =>
  Duration.toMillis(Duration.fromInputUnsafe(input))

export const formatMillis = (ms: number): string => {
  if (!Number.isFinite(ms)) return String(ms)
  if (ms >= 60_000 && ms % 1000 === 0) return `${ms / 1000}s`
  if (ms >= 1000) return `${Number((ms / 1000).toFixed(3))}s`
  return Number.isInteger(ms) ? `${ms}ms` : `${ms.toFixed(2)}ms`
}

export const show = (value: unknown): string => {
  if (value === undefined) return "undefined"
  if (typeof value === "string") return JSON.stringify(value)
  if (value instanceof Error) return `${value.name}: ${value.message}`
  try {
    const json = JSON.stringify(value)
    return json === undefined
      ? String(value)
      : json.length > 300
        ? `${json.slice(0, 297)}...`
        : json
  } catch {
    return String(value)
  }
}
