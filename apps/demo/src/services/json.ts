/** A JSON value, the only thing that crosses into a code node. */
export type Json =
  | null
  | boolean
  | number
  | string
  | ReadonlyArray<Json>
  | { readonly [key: string]: Json }

/** A plain JSON object (not an array, not null). */
export type JsonObject = { readonly [key: string]: Json }

export const isJsonObject = (u: unknown): u is JsonObject =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/** Database rows made JSON-safe: dates become ISO strings, bigints numbers. */
export const toJsonValue = (value: unknown): Json => {
  if (value === null || value === undefined) return null
  if (value instanceof Date) return value.toISOString()
  if (typeof value === "bigint") return Number(value)
  if (typeof value === "number" || typeof value === "string" || typeof value === "boolean")
    return value
  if (Array.isArray(value)) return value.map(toJsonValue)
  if (typeof value === "object") {
    const out: { [key: string]: Json } = {}
    for (const [key, inner] of Object.entries(value)) out[key] = toJsonValue(inner)
    return out
  }
  return String(value)
}
