/** Formats milliseconds for people: "500ms", "2s", "1.5s" (seconds keep up to 3 decimals). */
export const formatMillis = (millis: number): string => {
  if (!Number.isFinite(millis)) return `${millis}ms`
  if (Math.abs(millis) < 1000) return `${round(millis)}ms`
  return `${round(millis / 1000)}s`
}

const round = (value: number): number => Math.round(value * 1000) / 1000
