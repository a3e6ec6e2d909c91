// Turning whatever a node threw into JSON-safe, tagged data.
import type { Json } from "./model.js"

const str = (u: unknown): string | undefined => (typeof u === "string" ? u : undefined)

const field = (u: unknown, key: string): unknown =>
  typeof u === "object" && u !== null ? (u as Record<string, unknown>)[key] : undefined

/** The tag a person would use for this error: `_tag`, a guest error's `name`, an Error's name. */
export const errorTag = (error: unknown): string => {
  const tag = str(field(error, "_tag"))
  if (tag === "SandboxRuntimeError") {
    const name = str(field(error, "name"))
    return name !== undefined && name !== "" && name !== "Error" ? name : tag
  }
  if (tag !== undefined) return tag
  if (error instanceof Error) return error.name
  const name = str(field(error, "name"))
  return name ?? (typeof error === "string" ? "Error" : "UnknownError")
}

/** Extra tags for retry decisions (the `_tag` itself is added by @weft/retry). */
export const extraTags = (error: unknown): ReadonlyArray<string> => {
  const tag = str(field(error, "_tag"))
  if (tag === "SandboxRuntimeError" || tag === undefined) {
    const name = str(field(error, "name"))
    return name !== undefined && name !== "" ? [name] : []
  }
  if (tag === "SandboxHostCallFailed") {
    const cause = field(error, "cause")
    const causeTag = str(field(cause, "_tag")) ?? str(field(cause, "name"))
    return causeTag === undefined ? [] : [causeTag]
  }
  return []
}

export const errorMessage = (error: unknown): string => {
  if (typeof error === "string") return error
  const message = field(error, "message")
  if (typeof message === "string" && message !== "") return message
  if (error instanceof Error) return error.name
  try {
    return JSON.stringify(error) ?? String(error)
  } catch {
    return String(error)
  }
}

const roundTrip = (value: unknown): Json | undefined => {
  try {
    const text = JSON.stringify(value)
    return text === undefined ? undefined : (JSON.parse(text) as Json)
  } catch {
    return undefined
  }
}

/** A JSON picture of an error: its own fields plus `_tag`, `name` and `message`. */
export const toJson = (error: unknown): Json => {
  if (error === null || error === undefined) return null
  if (typeof error === "string" || typeof error === "boolean") return error
  if (typeof error === "number") return Number.isFinite(error) ? error : String(error)
  if (typeof error !== "object") return String(error)
  const out: Record<string, Json> = {}
  const copied = roundTrip(error)
  if (typeof copied === "object" && copied !== null && !Array.isArray(copied)) {
    Object.assign(out, copied)
  }
  const tag = field(error, "_tag")
  if (typeof tag === "string") out._tag = tag
  const name = field(error, "name")
  if (typeof name === "string" && out.name === undefined && error instanceof Error) out.name = name
  out.message = errorMessage(error)
  return out
}
