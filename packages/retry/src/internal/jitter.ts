import type { Jitter } from "../Jitter.js"

/** The AWS formulas with positional arguments (no allocation on the hot path). */
export const applyJitter = (
  jitter: Jitter,
  delay: number,
  base: number,
  previous: number,
  cap: number,
  random: number
): number => {
  switch (jitter) {
    case "none":
      return delay
    case "full":
      return random * delay
    case "equal":
      return delay / 2 + (random * delay) / 2
    case "decorrelated": {
      const upper = Math.max(base, previous * 3)
      return Math.min(cap, base + random * (upper - base))
    }
  }
}
