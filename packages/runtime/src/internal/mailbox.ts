// Events sent into an execution: one FIFO queue per event name (unnamed events, the older form,
// have their own). Each event completes exactly one waiter — an event node or a guest
// `nextEvent` — in the order they started waiting; an event nobody waits for yet is kept.
import { Effect } from "effect"
import type { Json } from "./model.js"

/** The queue of unnamed events (`send(event)`, `nextEvent()`). */
export const unnamed = null

interface Channel {
  readonly events: Array<Json>
  readonly waiters: Array<(event: Json) => void>
}

export class Mailbox {
  private readonly channels = new Map<string | null, Channel>()

  private channel(name: string | null): Channel {
    let channel = this.channels.get(name)
    if (channel === undefined) {
      channel = { events: [], waiters: [] }
      this.channels.set(name, channel)
    }
    return channel
  }

  offer(name: string | null, event: Json): void {
    const channel = this.channel(name)
    const waiter = channel.waiters.shift()
    if (waiter !== undefined) waiter(event)
    else channel.events.push(event)
  }

  /** The next event of `name`; a waiter that is interrupted leaves the queue (takes nothing). */
  take(name: string | null): Effect.Effect<Json> {
    return Effect.callback<Json>((resume) => {
      const channel = this.channel(name)
      if (channel.events.length > 0) {
        resume(Effect.succeed(channel.events.shift()!))
        return
      }
      const waiter = (event: Json) => resume(Effect.succeed(event))
      channel.waiters.push(waiter)
      return Effect.sync(() => {
        const at = channel.waiters.indexOf(waiter)
        if (at >= 0) channel.waiters.splice(at, 1)
      })
    })
  }
}
