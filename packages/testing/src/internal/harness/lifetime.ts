// Process-wide bookkeeping for the leak check: which harnesses were open together (servers can
// only be blamed on a harness that was alone), and how many servers are listening.
// Servers are counted process-wide, so they can only be blamed on a harness that was the only
// one open for its whole life (concurrent tests cannot be told apart).
export interface Lifetime {
  overlapped: boolean
}
export const openHarnesses = new Set<Lifetime>()
export const openLifetime = (): Lifetime => {
  const lifetime: Lifetime = { overlapped: openHarnesses.size > 0 }
  for (const other of openHarnesses) other.overlapped = true
  openHarnesses.add(lifetime)
  return lifetime
}

// Listening servers only: client sockets may legitimately stay pooled (keep-alive) after a test.
const serverHandles = new Set(["TCPServerWrap", "PipeServerWrap", "UDPWrap"])
export const countHandles = (): Map<string, number> => {
  const counts = new Map<string, number>()
  for (const name of process.getActiveResourcesInfo()) {
    if (serverHandles.has(name)) counts.set(name, (counts.get(name) ?? 0) + 1)
  }
  return counts
}
