// Wraps the current tracer to remember which spans are still open, so a deadlock report can
// name what was waiting (the runtime opens a span per execution and per node).
import { Option, Tracer } from "effect"

export class SpanTracker {
  readonly open = new Set<Tracer.Span>()

  wrap(
    inner: Tracer.Tracer,
    context?: (inner: Tracer.Tracer["context"]) => NonNullable<Tracer.Tracer["context"]>
  ): Tracer.Tracer {
    const open = this.open
    return Tracer.make({
      span(options) {
        const span = inner.span(options)
        open.add(span)
        const end = span.end
        Object.defineProperty(span, "end", {
          configurable: true,
          writable: true,
          value: (endTime: bigint, exit: Parameters<Tracer.Span["end"]>[1]) => {
            open.delete(span)
            end.call(span, endTime, exit)
          }
        })
        return span
      },
      ...(context !== undefined
        ? { context: context(inner.context) }
        : inner.context === undefined
          ? {}
          : { context: inner.context })
    })
  }

  /** A span's path, `outer > inner`. */
  static path(span: Tracer.AnySpan | undefined): string {
    const path: Array<string> = []
    let current: Tracer.AnySpan | undefined = span
    while (current !== undefined && current._tag === "Span" && path.length < 6) {
      path.unshift(current.name)
      current = Option.getOrUndefined(current.parent)
    }
    return path.join(" > ")
  }

  /** Innermost open spans as `outer > inner` paths. */
  describe(limit = 8): Array<string> {
    const parents = new Set<string>()
    for (const span of this.open) {
      const parent = Option.getOrUndefined(span.parent)
      if (parent !== undefined) parents.add(parent.spanId)
    }
    const leaves = [...this.open].filter((span) => !parents.has(span.spanId))
    return leaves.slice(0, limit).map((span) => {
      const path: Array<string> = []
      let current: Tracer.AnySpan | undefined = span
      while (current !== undefined && current._tag === "Span" && path.length < 6) {
        path.unshift(current.name)
        current = Option.getOrUndefined(current.parent)
      }
      return path.join(" > ")
    })
  }
}
